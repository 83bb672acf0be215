import { describe, expect, test } from 'vitest';
import { addDays, ukToday } from '../../src/racing/dates.ts';
import type { FaultRule } from '../../src/simulator/index.ts';
import { drainQueue } from '../../src/worker.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { addJob, queuedJobs, useSimulator } from '../helpers/racing-worker.ts';

const db = useTestDatabase();
const env = useSimulator();
const drain = () => drainQueue({ connectionString: db.url, concurrency: 2, noHandleSignals: true });

async function state(source: string, date: string) {
  const [row] = await db.sql`
    select status, attempts, http_status, last_error, error_path, races from fetch_state
    where source = ${source} and date = ${date}`;
  return row;
}
async function racesOn(date: string): Promise<number> {
  const [row] = await db.sql`select count(*)::int as n from ra_mst_races where date = ${date}`;
  return row?.n ?? 0;
}
async function jobErrors() {
  return db.sql<{ task_identifier: string; kind: string; error: string }[]>`
    select task_identifier, kind, error from job_errors order by id`;
}

const TIMEOUT_MS = 1000;
const SLOW_MS = 3000;

describe('transient faults are retried and the date completes', () => {
  const cases: [string, FaultRule, string][] = [
    ['500', { endpoint: 'results', kind: '500', count: 2 }, '2024-03-04'],
    ['503', { endpoint: 'results', kind: '503', count: 1 }, '2024-03-05'],
    ['429 with Retry-After', { endpoint: 'results', kind: '429', count: 1, retryAfterSec: 1 }, '2024-03-06'],
    [
      'slow past the timeout',
      { endpoint: 'results', kind: 'slow', count: 1, delayMs: SLOW_MS },
      '2024-03-07',
    ],
    ['connection reset', { endpoint: 'results', kind: 'reset', count: 1 }, '2024-03-08'],
    ['truncated body', { endpoint: 'results', kind: 'truncated', count: 1 }, '2024-03-11'],
  ];
  for (const [name, rule, date] of cases) {
    test(name, async () => {
      env.sim.resetStats();
      env.sim.injectFaults([rule]);
      // The timeout case runs with a short per-attempt timeout (read by the client when the job starts).
      if (rule.kind === 'slow') process.env.RACING_API_TIMEOUT_MS = String(TIMEOUT_MS);
      try {
        await addJob(db.sql, 'fetch_results_day', { date, enrich: false });
        await drain();
      } finally {
        process.env.RACING_API_TIMEOUT_MS = '10000';
        env.sim.clearFaults();
      }
      expect(await state('results', date)).toMatchObject({ status: 'done', last_error: null });
      expect(await racesOn(date)).toBe((await state('results', date))?.races);
      expect(await racesOn(date)).toBeGreaterThan(0);
      expect(env.sim.stats().byEndpoint.results).toBe(rule.count + 1);
      expect(await queuedJobs(db.sql)).toEqual([]);
    });
  }

  test('retries exhausted inside the job: attempt recorded on fetch_state, the job retries later and completes', async () => {
    const date = '2024-03-12';
    env.sim.injectFaults([{ endpoint: 'results', kind: '500', count: 50 }]);
    await addJob(db.sql, 'fetch_results_day', { date, enrich: false });
    await drain(); // the job fails once and is rescheduled into the future
    env.sim.clearFaults();
    const failed = await state('results', date);
    expect(failed).toMatchObject({ status: 'pending', attempts: 1 });
    expect(failed?.last_error).toMatch(/500/);
    expect(await racesOn(date)).toBe(0);
    const [job] = await queuedJobs(db.sql);
    expect(job).toMatchObject({ task_identifier: 'fetch_results_day', attempts: 1 });
    await db.sql`select graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs), run_at := now())`;
    await drain();
    expect(await state('results', date)).toMatchObject({ status: 'done', attempts: 2, last_error: null });
    expect(await racesOn(date)).toBeGreaterThan(0);
    expect(await queuedJobs(db.sql)).toEqual([]);
  });
});

describe('atomic days', () => {
  test('a failure while writing leaves no rows, no raw pages and no done checkpoint; the retry completes', async () => {
    const date = '2024-03-15';
    // Fail the transaction at its last table (runners), after races and entities were written in it.
    await db.sql.unsafe(`
      create function fail_runners() returns trigger language plpgsql as $$
      begin raise exception 'disk full (simulated)'; end $$;
      create trigger fail_runners before insert on ra_mst_runners for each statement execute function fail_runners();`);
    try {
      await addJob(db.sql, 'fetch_results_day', { date, enrich: false });
      await drain();
      const failed = await state('results', date);
      expect(failed).toMatchObject({ status: 'pending', attempts: 1 });
      expect(failed?.last_error).toMatch(/disk full/);
      expect(await racesOn(date)).toBe(0);
      const [raw] = await db.sql`select count(*)::int as n from raw_responses where date = ${date}`;
      expect(raw?.n).toBe(0);
      const [job] = await queuedJobs(db.sql);
      expect(job?.last_error).toMatch(/disk full/);
    } finally {
      await db.sql.unsafe('drop trigger fail_runners on ra_mst_runners; drop function fail_runners();');
    }
    await db.sql`select graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs), run_at := now())`;
    await drain();
    expect(await state('results', date)).toMatchObject({ status: 'done' });
    expect(await racesOn(date)).toBe((await state('results', date))?.races);
    expect(await queuedJobs(db.sql)).toEqual([]);
  });
});

describe('terminal answers are recorded, not retried', () => {
  test('a schema failure marks the date failed with the error path, keeps the raw body and writes no rows', async () => {
    const date = '2024-03-13';
    env.sim.injectFaults([{ endpoint: 'results', kind: 'missing-field', count: 1 }]);
    await addJob(db.sql, 'fetch_results_day', { date, enrich: false });
    await drain();
    env.sim.clearFaults();
    const s = await state('results', date);
    expect(s).toMatchObject({ status: 'failed' });
    expect(s?.error_path).toMatch(/^results\.\d+/);
    expect(s?.last_error).toMatch(/invalid/);
    const raw =
      await db.sql`select valid, validation_error, body is not null as has_body from raw_responses where date = ${date}`;
    expect(raw).toHaveLength(1);
    expect(raw[0]).toMatchObject({ valid: false, has_body: true });
    expect(raw[0]?.validation_error).toContain(s?.error_path);
    expect(await racesOn(date)).toBe(0);
    expect(await queuedJobs(db.sql)).toEqual([]);
  });

  test('a 401 while the credentials work (a recent date answers) is the plan: not_in_plan, recorded once, not retried', async () => {
    const date = '2024-03-14';
    env.sim.resetStats();
    env.sim.injectFaults([{ endpoint: 'results', kind: '401', count: 1 }]);
    await addJob(db.sql, 'fetch_results_day', { date, enrich: false });
    await drain();
    env.sim.clearFaults();
    expect(await state('results', date)).toMatchObject({ status: 'not_in_plan', http_status: 401 });
    // The date's request and the probe of a recent date that told the plan from the credentials.
    expect(env.sim.stats().total).toBe(2);
    const [gaps] = await db.sql`select count(*)::int as n from api_plan_gaps`;
    expect(gaps?.n).toBe(1);
    expect(await queuedJobs(db.sql)).toEqual([]);
  });

  test('racecards outside 2023-01-23..today+7 are outside_window without a call', async () => {
    env.sim.resetStats();
    await addJob(db.sql, 'fetch_racecards_day', { date: '2022-06-01' });
    await drain();
    expect(await state('racecards', '2022-06-01')).toMatchObject({ status: 'outside_window' });
    expect(env.sim.stats().total).toBe(0);
  });
});

describe('invalid payloads: a clear recorded error, zero API calls, no retries', () => {
  test.each([
    [
      'backfill_dates',
      { start_date: '2024-02-30', end_date: '2024-03-01' },
      /start_date: must be a real date/,
    ],
    ['backfill_dates', { start_date: '2024-03-02', end_date: '2024-03-01' }, /end_date is before start_date/],
    [
      'backfill_dates',
      { start_date: '2024-03-01', end_date: '2024-03-02', regions: ['gb', 'xx'] },
      /unknown region/,
    ],
    ['backfill_dates', { start_date: '1987-12-31', end_date: '1988-01-02' }, /on or after 1988-01-01/],
    [
      'backfill_dates',
      { start_date: '2024-03-01', end_date: addDays(ukToday(), 8) },
      /after .* \(today \+ 7\)/,
    ],
    ['backfill_dates', { start_date: '2024-03-01', end_date: '2024-03-02', source: 'odds' }, /source/],
    ['fetch_results_day', { date: 'yesterday' }, /date: must be a real date/],
    ['fetch_results_day', { date: addDays(ukToday(), 2) }, /in the future/],
    ['fetch_racecards_day', { date: '2024-03-01', regions: [] }, /at least one region/],
    ['enrich_horse', { horse_id: 'jky_1' }, /horse id/],
    ['enrich_horse', null, /payload/],
  ])('%s %j', async (task, payload, message) => {
    await db.sql`delete from job_errors`;
    env.sim.resetStats();
    await addJob(db.sql, task, payload);
    await drain();
    const errors = await jobErrors();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ task_identifier: task, kind: 'invalid_payload' });
    expect(errors[0]?.error).toMatch(message);
    expect(env.sim.stats().total).toBe(0);
    expect(await queuedJobs(db.sql)).toEqual([]);
  });
});
