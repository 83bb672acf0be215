// Shared by the PostgreSQL-loss tests: the same racing backfill and ladder backfill run uninterrupted in-process
// and under a fault by two `npm run worker` processes, restarted by the test when they exit (as a supervisor
// would), and the tables compared.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { L1_BACK_SIZE_COLUMNS } from '../../src/betfair/metrics.ts';
import { connect, type Sql } from '../../src/db.ts';
import { drainQueue } from '../../src/worker.ts';
import { buildL1Scenario } from '../helpers/ladder.ts';
import { pollUntil } from '../helpers/poll.ts';
import { type ContentSpec, contentChecksums as checksums, RACING_CONTENT } from '../helpers/racing-tables.ts';
import { addJob } from '../helpers/racing-worker.ts';

const WORKER_CLI = fileURLToPath(new URL('../../src/cli/worker.ts', import.meta.url));
// Results of dates before the racecard window: their horses are enriched by call, so the run makes enough
// requests for the fault to come mid-run.
export const BACKFILL = { start_date: '2022-06-04', end_date: '2022-06-05', source: 'auto', enrich: true };
const LADDER = { columns: [...L1_BACK_SIZE_COLUMNS], batch_size: 25 };
const SCENARIO = { snapshots: 3000, nullRows: 2500, markets: 20 };

/** The test's own connections, which the fault spares (application_name). */
export const TEST_APPLICATION = 'kit-fault-test';
export const testConnection = (url: string) =>
  connect(url, { max: 2, connection: { application_name: TEST_APPLICATION, TimeZone: 'UTC' } });

/** Table contents without what legitimately differs between two runs (ids, write times, attempt counters). */
const CONTENT: ContentSpec[] = [
  ...RACING_CONTENT,
  // snapshot_at: the scenario dates its newest snapshots from now().
  ['market_derived_metrics', 'snapshot_id', ['derived_at', 'snapshot_at']],
  [
    'ladder_backfill_runs',
    'id',
    ['id', 'job_id', 'started_at', 'finished_at', 'last_error', 'last_snapshot_id', 'status'],
  ],
];

export const contentChecksums = (sql: Sql) => checksums(sql, CONTENT);

/** The ladder snapshots and both jobs, queued as a user would. */
export async function prepare(sql: Sql): Promise<void> {
  await buildL1Scenario(sql, SCENARIO);
  await addJob(sql, 'backfill_dates', BACKFILL);
  await addJob(sql, 'backfill_ladder', LADDER);
}

export async function uninterruptedRun(url: string, sql: Sql): Promise<Record<string, string>> {
  await prepare(sql);
  await drainQueue({ connectionString: url, concurrency: 4, noHandleSignals: true });
  return contentChecksums(sql);
}

/** Dates marked done without their races, and ladder runs marked done with fillable NULLs left. */
export async function doneButNotWritten(sql: Sql): Promise<string[]> {
  const dates = await sql<{ what: string }[]>`
    select f.source || ' ' || f.date::text as what
    from fetch_state f left join ra_mst_races r on r.date = f.date
    where f.status = 'done' group by f.source, f.date, f.races having count(r.id) < f.races`;
  const ladder = await sql<{ what: string }[]>`
    select 'ladder run ' || r.id as what from ladder_backfill_runs r
    where r.status = 'done' and exists (select from v_l1_null_counts v where v.fillable > 0)`;
  return [...dates, ...ladder].map((r) => r.what);
}

async function progress(sql: Sql) {
  const [row] = await sql<{ requests: number; batches: number; ladder_done: boolean; racing_jobs: number }[]>`
    select (select count(*)::int from api_requests) as requests,
           (select count(*)::int from ladder_backfill_runs where last_snapshot_id is not null) as batches,
           exists (select from ladder_backfill_runs where status = 'done') as ladder_done,
           (select count(*)::int from graphile_worker.jobs where task_identifier <> 'backfill_ladder') as racing_jobs`;
  return row!;
}

/** `node src/cli/worker.ts --concurrency 2` on `url`, without the schedule; its stderr lines go to `log`. */
export function spawnWorker(url: string, log: string[]): ChildProcess {
  const worker = spawn(
    process.execPath,
    [WORKER_CLI, '--concurrency', '2', '--poll-interval', '100', '--no-schedule'],
    { env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    log.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => line.slice(0, 300)),
    );
    log.splice(0, Math.max(0, log.length - 200));
  };
  worker.stdout?.on('data', keep);
  worker.stderr?.on('data', keep);
  return worker;
}

/** The last warnings and errors of a worker log, for a failing test's message. */
export const errorLines = (log: string[]) => log.filter((line) => /error|warn/i.test(line)).slice(-15);

/** SIGTERM, as a supervisor stops a worker; a worker that does not exit within a minute is a failure. */
export async function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const exited = once(worker, 'exit');
  worker.kill('SIGTERM');
  const timer = setTimeout(() => worker.kill('SIGKILL'), 60_000);
  await exited;
  clearTimeout(timer);
  if (worker.signalCode === 'SIGKILL') throw new Error('a worker did not exit within a minute of SIGTERM');
}

export interface SupervisedOutcome {
  /** Exit codes of worker processes that ended by themselves (a supervisor restarted them). */
  exits: Array<number | null>;
  /** The workers' stderr, for a failing test's message. */
  log: string[];
  /** Whether the fault came while both runs were in progress. */
  midRun: boolean;
  /** What doneButNotWritten found at any check while the queue drained. */
  seenUnwritten: string[];
}

/**
 * Two workers (`node src/cli/worker.ts --concurrency 2`) on `url`; once both runs are under way, `fault()`;
 * then every worker that exits is started again until the queue is empty and the ladder run is done.
 */
export async function supervisedRunWithFault(
  url: string,
  sql: Sql,
  fault: () => Promise<void>,
): Promise<SupervisedOutcome> {
  await prepare(sql);
  const exits: Array<number | null> = [];
  const log: string[] = [];
  const start = () => spawnWorker(url, log);
  const workers: ChildProcess[] = [start(), start()];
  let midRun = false;
  const seenUnwritten = new Set<string>();
  try {
    await pollUntil(
      async () => {
        const p = await progress(sql);
        return p.requests >= 30 && p.batches > 0;
      },
      { timeoutMs: 150_000, what: 'both runs under way' },
    );
    const before = await progress(sql);
    await fault();
    midRun = !before.ladder_done && before.racing_jobs > 0;
    await pollUntil(
      async () => {
        for (const [i, w] of workers.entries())
          if (w.exitCode !== null || w.signalCode !== null) {
            exits.push(w.exitCode);
            workers[i] = start();
          }
        // Every state the run passes through, not only the last: no date is ever done without its rows.
        for (const what of await doneButNotWritten(sql).catch(() => [])) seenUnwritten.add(what);
        // While the server restarts, this check fails like the workers' statements: try again.
        const rows = await sql<{ jobs: number; ladder: boolean }[]>`
          select (select count(*)::int from graphile_worker.jobs) as jobs,
                 exists (select from ladder_backfill_runs where status = 'done') as ladder`.catch(() => []);
        return rows[0]?.jobs === 0 && rows[0].ladder;
      },
      { everyMs: 100, timeoutMs: 200_000, what: 'the queue to drain after the fault' },
    ).catch(async (error) => {
      const jobs = await sql`
        select task_identifier, attempts, locked_by is not null as locked, run_at - now() as due_in,
               left(last_error, 120) as last_error
        from graphile_worker.jobs order by id`.catch(() => []);
      const runs = await sql`select id, status, last_error from ladder_backfill_runs`.catch(() => []);
      throw new Error(
        `${(error as Error).message}; jobs: ${JSON.stringify(jobs)}; ladder runs: ${JSON.stringify(runs)}; ` +
          `worker exits: ${JSON.stringify(exits)}; worker log: ${errorLines(log).join(' | ')}`,
      );
    });
  } finally {
    await Promise.all(workers.map(stopWorker));
  }
  return { exits, log, midRun, seenUnwritten: [...seenUnwritten] };
}
