import { describe, expect, test } from 'vitest';
import { queueBackfill } from '../../src/racing/plan.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();
const TODAY = '2025-12-20';

async function jobs() {
  return db.sql<{ task_identifier: string; key: string; max_attempts: number }[]>`
    select task_identifier, key, max_attempts from graphile_worker.jobs order by key`;
}
async function clear() {
  await db.sql`delete from graphile_worker._private_jobs`;
  await db.sql`delete from fetch_state`;
}

describe('backfill planning', () => {
  test("'auto': results for past dates, racecards inside 2023-01-23..today+7", async () => {
    await clear();
    const q = await queueBackfill(db.sql, {
      startDate: '2025-12-18',
      endDate: '2025-12-28',
      regions: ['gb', 'ire'],
      source: 'auto',
      enrich: true,
      force: false,
      today: TODAY,
    });
    // results 18, 19 (before today); racecards 18..27 (today + 7 = 27).
    expect(q).toEqual({ pairs: 12, queued: 12, done: 0 });
    const keys = (await jobs()).map((j) => j.key);
    expect(keys).toContain('results:2025-12-19');
    expect(keys).not.toContain('results:2025-12-20');
    expect(keys).toContain('racecards:2025-12-27');
    expect(keys).not.toContain('racecards:2025-12-28');
    const [payload] = await db.sql`
      select payload from graphile_worker._private_jobs where key = 'results:2025-12-19'`;
    expect(payload?.payload).toEqual({
      date: '2025-12-19',
      regions: ['gb', 'ire'],
      enrich: true,
      force: false,
    });
    expect((await jobs())[0]?.max_attempts).toBe(8);
    const states = await db.sql`select status, count(*)::int as n from fetch_state group by status`;
    expect(states).toEqual([{ status: 'pending', n: 12 }]);
  });

  test("'auto' before 2023-01-23 plans results only", async () => {
    await clear();
    const q = await queueBackfill(db.sql, {
      startDate: '2023-01-20',
      endDate: '2023-01-24',
      regions: ['gb'],
      source: 'auto',
      enrich: false,
      force: false,
      today: TODAY,
    });
    expect(q.pairs).toBe(5 + 2);
  });

  test('done pairs are skipped unless force; queueing twice keeps one job per key', async () => {
    await clear();
    const plan = {
      startDate: '2024-05-01',
      endDate: '2024-05-03',
      regions: ['gb', 'ire'],
      source: 'results' as const,
      enrich: true,
      force: false,
      today: TODAY,
    };
    await queueBackfill(db.sql, plan);
    await queueBackfill(db.sql, plan);
    expect((await jobs()).map((j) => j.key)).toEqual([
      'results:2024-05-01',
      'results:2024-05-02',
      'results:2024-05-03',
    ]);
    await db.sql`delete from graphile_worker._private_jobs`;
    await db.sql`update fetch_state set status = 'done' where date = '2024-05-02'`;
    expect(await queueBackfill(db.sql, plan)).toEqual({ pairs: 3, queued: 2, done: 1 });
    await db.sql`delete from graphile_worker._private_jobs`;
    expect(await queueBackfill(db.sql, { ...plan, force: true })).toEqual({ pairs: 3, queued: 3, done: 1 });
    const [kept] = await db.sql`select status from fetch_state where date = '2024-05-02'`;
    expect(kept?.status).toBe('done');
    // A done date fetched for fewer regions is not done for more.
    await db.sql`delete from graphile_worker._private_jobs`;
    await db.sql`update fetch_state set status = 'done', regions = '{gb}'`;
    expect(await queueBackfill(db.sql, plan)).toMatchObject({ queued: 3, done: 0 });
  });

  test('queueing 2015-01-01..2025-12-31 (4,000 dates x 2 sources) queues one job per pair in one statement', async () => {
    await clear();
    const q = await queueBackfill(db.sql, {
      startDate: '2015-01-01',
      endDate: '2025-12-31',
      regions: ['gb', 'ire'],
      source: 'both',
      enrich: true,
      force: false,
      today: '2025-12-31',
    });
    const [n] = await db.sql`select count(*)::int as n from graphile_worker.jobs`;
    expect(q.queued).toBe(n?.n);
    expect(q.pairs).toBe(4018 + 1074); // every date's results + racecards from 2023-01-23
  });
});

describe('live dates', () => {
  test('done pairs from today on are queued again (cards and results still change)', async () => {
    await clear();
    const plan = {
      startDate: '2025-12-19',
      endDate: '2025-12-21',
      regions: ['gb', 'ire'],
      source: 'racecards' as const,
      enrich: true,
      force: false,
      today: TODAY,
    };
    await queueBackfill(db.sql, plan);
    await db.sql`delete from graphile_worker._private_jobs`;
    await db.sql`update fetch_state set status = 'done'`;
    expect(await queueBackfill(db.sql, plan)).toEqual({ pairs: 3, queued: 2, done: 1 });
    expect((await jobs()).map((j) => j.key)).toEqual(['racecards:2025-12-20', 'racecards:2025-12-21']);
  });
});
