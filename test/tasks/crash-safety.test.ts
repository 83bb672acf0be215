import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Sql } from '../../src/db.ts';
import { drainQueue } from '../../src/worker.ts';
import { createTestDatabase, useTestDatabase } from '../helpers/db.ts';
import { pollUntil } from '../helpers/poll.ts';
import { type ContentSpec, contentChecksums as checksums, RACING_CONTENT } from '../helpers/racing-tables.ts';
import { addJob, queuedJobs, useSimulator } from '../helpers/racing-worker.ts';

const WORKER_CLI = fileURLToPath(new URL('../../src/cli/worker.ts', import.meta.url));
// Racecard horses cost no horse call, so a pre-racecard range is added for the enrichment calls to kill during.
const BACKFILLS = [
  { start_date: '2024-06-04', end_date: '2024-06-04', source: 'both', enrich: true },
  { start_date: '2022-06-04', end_date: '2022-06-05', source: 'results', enrich: true },
];
const KILLS = [30, 90, 150]; // kill -9 once this many API requests have been made

const crashed = useTestDatabase();
// A third of the usual volume keeps the run short; the simulator is deterministic, so both databases see
// exactly the same API answers.
useSimulator(
  { ratePerSec: 0, racesPerDayScale: 0.3, today: '2024-06-10' },
  { RACING_API_RATE_PER_SEC: '100' },
);
let reference: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  reference = await createTestDatabase();
});
afterAll(async () => {
  await reference?.drop();
});

/** Table contents without what legitimately differs between two runs: the racing tables and the odds. */
const CONTENT: ContentSpec[] = [
  ...RACING_CONTENT,
  ['ra_runner_odds', 'race_id, horse_id, bookmaker', []],
  ['ra_runner_odds_history', 'race_id, horse_id, bookmaker, changed_at', []],
];
const contentChecksums = (sql: Sql) => checksums(sql, CONTENT);

async function apiRequests(sql: Sql): Promise<number> {
  const [r] = await sql<[{ n: number }]>`select count(*)::int as n from api_requests`;
  return r.n;
}

/** Waits on the database, not on the clock: resolves once the worker has made `count` API requests. */
async function untilRequests(sql: Sql, count: number, worker: ChildProcess): Promise<void> {
  await pollUntil(
    async () => {
      if (worker.exitCode !== null) throw new Error(`worker exited before making ${count} requests`);
      return (await apiRequests(sql)) >= count;
    },
    { everyMs: 5, what: `${count} API requests` },
  );
}

describe('crash safety', () => {
  test('kill -9 mid-run three times, then resume: tables identical to an uninterrupted run, no date done without its rows', async () => {
    // The uninterrupted run, in a database of its own, alongside the interrupted one.
    const uninterrupted = (async () => {
      for (const b of BACKFILLS) await addJob(reference.sql, 'backfill_dates', b);
      await drainQueue({ connectionString: reference.url, concurrency: 4, noHandleSignals: true });
      return contentChecksums(reference.sql);
    })();

    for (const b of BACKFILLS) await addJob(crashed.sql, 'backfill_dates', b);
    for (const kill of KILLS) {
      // No schedule: a crontab line falling due mid-test would fetch dates the uninterrupted run does not.
      const worker = spawn(process.execPath, [WORKER_CLI, '--concurrency', '4', '--no-schedule'], {
        env: { ...process.env, DATABASE_URL: crashed.url },
        stdio: 'ignore',
      });
      await untilRequests(crashed.sql, kill, worker);
      worker.kill('SIGKILL');
      await once(worker, 'exit');
      // What an operator does after a crash (sql/unlock_dead_workers.sql): free the dead worker's jobs now
      // rather than after graphile-worker's 4-hour lock timeout.
      await crashed.sql`
        select graphile_worker.force_unlock_workers(
          array(select distinct locked_by from graphile_worker.jobs where locked_by is not null))`;
      const done = await crashed.sql`
        select f.source, f.date::text, f.races, count(r.id)::int as stored
        from fetch_state f left join ra_mst_races r on r.date = f.date
        where f.status = 'done' group by 1, 2, 3`;
      for (const d of done)
        expect(d.stored, `${d.source} ${d.date} done without its races`).toBeGreaterThanOrEqual(d.races);
    }
    expect(await queuedJobs(crashed.sql)).not.toEqual([]); // the kills really interrupted the run

    await drainQueue({ connectionString: crashed.url, concurrency: 4, noHandleSignals: true });
    expect(await queuedJobs(crashed.sql)).toEqual([]);
    const expected = await uninterrupted;
    expect(expected.ra_mst_runners).not.toMatch(/^0 rows/);
    expect(await contentChecksums(crashed.sql)).toEqual(expected);
    const [states] = await crashed.sql`
      select count(*) filter (where status = 'done')::int as done, count(*)::int as total from fetch_state`;
    expect(states?.done).toBe(states?.total);
  });
});
