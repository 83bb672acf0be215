import { describe, expect, test } from 'vitest';
import { checkAccount, checkCredentials } from '../../src/account-checks.ts';
import { accountsOf, loadRacingApiConfig } from '../../src/config.ts';
import { addDays, ukToday } from '../../src/racing/dates.ts';
import { resultsWindowStart } from '../../src/simulator/index.ts';
import { drainQueue } from '../../src/worker.ts';
import { createTestDatabase, useTestDatabase } from '../helpers/db.ts';
import { contentChecksums } from '../helpers/racing-tables.ts';
import { addJob, queuedJobs, SIM_PASSWORD, useSimulator } from '../helpers/racing-worker.ts';

const db = useTestDatabase();
const env = useSimulator({ ratePerSec: 1000 });
const drain = (url: string) => drainQueue({ connectionString: url, concurrency: 1, noHandleSignals: true });
const RANGE = { start_date: '2024-03-01', end_date: '2024-03-10', enrich: false, source: 'results' };

async function statuses(url: string) {
  const sql = (await import('../../src/db.ts')).connect(url, { max: 1 });
  try {
    return await sql<{ status: string; n: number }[]>`
      select status, count(*)::int as n from fetch_state group by status order by status`;
  } finally {
    await sql.end();
  }
}

describe('a wrong password stops the account, not the dates', () => {
  test('two workers: at most 3 calls, 0 failed, unauthorized; the right password completes the queue like a clean run', async () => {
    process.env.RACING_API_PASSWORD = 'wrong-password';
    env.sim.resetStats();
    await addJob(db.sql, 'backfill_dates', RANGE);
    await Promise.all([drain(db.url), drain(db.url)]);
    expect(env.sim.stats().total).toBeLessThanOrEqual(3);
    const [calls] = await db.sql`select count(*)::int as n from api_requests`;
    expect(calls?.n).toBe(env.sim.stats().total);
    expect((await statuses(db.url)).find((s) => s.status === 'failed')).toBeUndefined();
    const [account] = await db.sql`select state, message from api_accounts`;
    expect(account?.state).toBe('unauthorized');
    expect(account?.message).toContain('Invalid credentials');
    const waiting = await queuedJobs(db.sql);
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.every((j) => j.attempts === 0 && j.last_error === null)).toBe(true);

    // The worker restarted with the right password: its start check clears the stop, the jobs resume.
    process.env.RACING_API_PASSWORD = SIM_PASSWORD;
    const config = loadRacingApiConfig();
    const [only] = accountsOf(config);
    if (!only) throw new Error('no account');
    expect((await checkCredentials(db.sql, config, only)).ok).toBe(true);
    await Promise.all([drain(db.url), drain(db.url)]);
    expect(await queuedJobs(db.sql)).toEqual([]);
    expect(await statuses(db.url)).toEqual([{ status: 'done', n: 10 }]);

    const clean = await createTestDatabase();
    try {
      await addJob(clean.sql, 'backfill_dates', RANGE);
      await drain(clean.url);
      expect(await contentChecksums(db.sql)).toEqual(await contentChecksums(clean.sql));
    } finally {
      await clean.drop();
    }
  });
});

describe('a wrong password over 2015–2025', () => {
  test('4,018 dates queued, two workers: at most 3 calls, no date failed, every job waits unattempted', async () => {
    const clean = await createTestDatabase();
    try {
      process.env.RACING_API_PASSWORD = 'wrong-password';
      env.sim.resetStats();
      await addJob(clean.sql, 'backfill_dates', {
        ...RANGE,
        start_date: '2015-01-01',
        end_date: '2025-12-31',
      });
      await Promise.all([drain(clean.url), drain(clean.url)]);
      expect(env.sim.stats().total).toBeLessThanOrEqual(3);
      expect(await statuses(clean.url)).toEqual([{ status: 'pending', n: 4018 }]);
      const [account] = await clean.sql`select state from api_accounts`;
      expect(account?.state).toBe('unauthorized');
      const [jobs] = await clean.sql<{ n: number; untouched: number }[]>`
        select count(*)::int as n,
               count(*) filter (where attempts = 0 and last_error is null and run_at > now())::int as untouched
        from graphile_worker.jobs where task_identifier = 'fetch_results_day'`;
      expect(jobs).toEqual({ n: 4018, untouched: 4018 });
    } finally {
      process.env.RACING_API_PASSWORD = SIM_PASSWORD;
      await clean.drop();
    }
  });
});

describe('a standard plan without the historical add-on, over 2015–2025', () => {
  test('at most 3 calls to dates older than 12 months, those not_in_plan, the dates inside the last 12 months done', async () => {
    const clean = await createTestDatabase();
    try {
      env.sim.setPlan('standard');
      env.sim.resetStats();
      const windowStart = resultsWindowStart(ukToday());
      await addJob(clean.sql, 'backfill_dates', {
        ...RANGE,
        start_date: '2015-01-01',
        end_date: '2025-12-31',
      });
      await Promise.all([drain(clean.url), drain(clean.url)]);
      const [old] = await clean.sql<{ n: number }[]>`
        select count(*)::int as n from api_requests
        where substring(query from 'start_date=([0-9-]{10})') < ${windowStart}`;
      expect(old?.n).toBeLessThanOrEqual(3);
      const [want] = await clean.sql<{ recent: number; old: number }[]>`
        select count(*) filter (where d >= ${windowStart}::date)::int as recent,
               count(*) filter (where d < ${windowStart}::date)::int as old
        from generate_series('2015-01-01'::date, '2025-12-31'::date, interval '1 day') d`;
      const expected = [
        { status: 'done', n: want?.recent ?? 0 },
        { status: 'not_in_plan', n: want?.old ?? 0 },
      ].filter((s) => s.n > 0);
      expect(await statuses(clean.url)).toEqual(expected);
      expect(await queuedJobs(clean.sql)).toEqual([]);
    } finally {
      env.sim.setPlan('pro-historical');
      await clean.drop();
    }
  });
});

describe('a standard plan without the historical add-on', () => {
  test('old dates not_in_plan after at most 3 old calls, recent dates done, doctor names the add-on', async () => {
    const clean = await createTestDatabase();
    try {
      env.sim.setPlan('standard');
      env.sim.resetStats();
      const today = ukToday();
      // 6 dates two years back, 4 recent ones.
      const oldStart = addDays(today, -730);
      await addJob(clean.sql, 'backfill_dates', {
        ...RANGE,
        start_date: oldStart,
        end_date: addDays(oldStart, 5),
      });
      await addJob(clean.sql, 'backfill_dates', {
        ...RANGE,
        start_date: addDays(today, -6),
        end_date: addDays(today, -3),
      });
      await Promise.all([drain(clean.url), drain(clean.url)]);
      const oldCalls = await clean.sql`
        select count(*)::int as n from api_requests where query like ${`%start_date=${oldStart.slice(0, 4)}%`}`;
      expect(oldCalls[0]?.n).toBeLessThanOrEqual(3);
      expect(await statuses(clean.url)).toEqual([
        { status: 'done', n: 4 },
        { status: 'not_in_plan', n: 6 },
      ]);
      const gaps = await clean.sql`select source, reason from api_plan_gaps`;
      expect(gaps).toEqual([{ source: 'results', reason: expect.stringContaining('add-on') }]);

      const config = loadRacingApiConfig();
      const [only] = accountsOf(config);
      if (!only) throw new Error('no account');
      const before = env.sim.stats().total;
      const lines = await checkAccount(clean.sql, config, only);
      expect(env.sim.stats().total - before).toBeLessThanOrEqual(5);
      const addOn = lines.find((l) => l.check.startsWith('results older'));
      expect(addOn?.ok).toBe(false);
      expect(addOn?.detail).toContain('historical results add-on');
      expect(lines.find((l) => l.check.startsWith('racecards'))?.ok).toBe(false);
    } finally {
      env.sim.setPlan('pro-historical');
      await clean.drop();
    }
  });
});
