import { beforeEach, describe, expect, test } from 'vitest';
import { readStatus } from '../../src/status.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();

beforeEach(async () => {
  await db.sql`truncate fetch_state, rate_limit_slots, ra_horses, api_requests cascade`;
});

async function rates(): Promise<Record<string, number>> {
  const rows = await db.sql<{ source: string; rate: number }[]>`
    select source, rate_per_sec::float as rate from v_backfill_progress`;
  return Object.fromEntries(rows.map((r) => [r.source, r.rate]));
}

describe('v_backfill_progress with several accounts', () => {
  test('the rate is the sum over the account buckets, an endpoint bucket replacing its account-wide one', async () => {
    // A bucket left from a single-account setup, last used a day ago: not counted beside the accounts'.
    await db.sql`
      insert into rate_limit_slots (key, interval_ms, updated_at) values
        ('racing_api', 500, now() - interval '1 day'),
        ('racing_api@acct_a', 100, now()),
        ('racing_api@acct_b', 100, now()),
        ('racing_api@acct_b:results', 200, now())`;
    expect(await rates()).toEqual({ horses: 20, racecards: 20, results: 15 });
  });

  test('one account keeps its keys; without buckets the default 2/s', async () => {
    expect(await rates()).toEqual({ horses: 2, racecards: 2, results: 2 });
    await db.sql`
      insert into rate_limit_slots (key, interval_ms) values ('racing_api', 250), ('racing_api:horses', 1000)`;
    expect(await rates()).toEqual({ horses: 1, racecards: 4, results: 4 });
  });

  test('dates outside the plan are their own column, and status reads it', async () => {
    await db.sql`
      insert into fetch_state (source, date, status, pages)
      select 'results', d::date,
             case when d < '2024-01-04' then 'not_in_plan' when d < '2024-01-07' then 'done' else 'pending' end,
             case when d >= '2024-01-04' and d < '2024-01-07' then 1 end
      from generate_series('2024-01-01'::date, '2024-01-10'::date, interval '1 day') d`;
    const [results] = await db.sql`
      select total::int, done::int, failed::int, pending::int, not_in_plan::int, requests_remaining::int
      from v_backfill_progress where source = 'results'`;
    expect(results).toEqual({
      total: 10,
      done: 3,
      failed: 0,
      pending: 4,
      not_in_plan: 3,
      requests_remaining: 4,
    });
    const status = await readStatus(db.sql);
    expect(status.progress.find((p) => p.source === 'results')?.notInPlan).toBe(3);
  });
});
