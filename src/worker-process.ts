// The life of the long-running worker process (`npm run worker`): how it stops on a signal, and why it exits
// non-zero, for its supervisor to start a fresh one, when PostgreSQL goes away under a job.
//
// A connection lost between jobs is survived in place: graphile-worker retries fetching jobs and re-LISTENs
// by itself, and postgres.js reopens connections that closed while idle. A connection lost under a running
// job, or under the write of a job's outcome, ends the process (exit 1) instead:
// - graphile-worker (0.18) does not retry writing a job's outcome (completeJob/failJob): it emits
//   pool:fatalError and shuts its pool down with the job still locked, so no worker would run it for 4 hours;
// - postgres.js (3.4.9), the tasks' client, can be left broken by a connection lost inside a transaction: its
//   rollback is written on the closed socket and throws outside any job (porsager/postgres#1208), leaving
//   that write buffered in front of the connection's next startup message; statements queued in the
//   transaction may never settle (#1186). A fresh process has none of that state.
// Before exiting, the process stops taking jobs, gives the running ones GRACE_MS to end (graphile-worker then
// fails those still running, which frees them), and frees the jobs its pool still holds with
// graphile_worker.force_unlock_workers, trying until the database answers. The tasks write a date, a horse
// or a ladder batch in one transaction, so a job run again writes the same rows.
import { EventEmitter } from 'node:events';
import type { WorkerEvents } from 'graphile-worker';
import { isLostConnection } from './db.ts';
import { freeLockedJobs, startWorker, trackPools, type WorkerOptions } from './worker.ts';

/** Running jobs get this long to end before graphile-worker fails them (they are retried). */
const GRACE_MS = 15_000;
/** Then the pool gets this long to stop before its jobs are freed regardless. */
const FORCE_MS = 10_000;

export interface WorkerProcess {
  /** The ids the runner locks jobs as (`locked_by`): one per pool. */
  lockOwners: string[];
  /** Resolves with the exit code: 0 after a signal, 1 when the process must be restarted. */
  ended: Promise<number>;
}

export async function startWorkerProcess(o: WorkerOptions): Promise<WorkerProcess> {
  const events: WorkerEvents = o.events ?? new EventEmitter();
  const pools = trackPools(events);
  const lockOwners = () => pools.map((p) => p.id);
  let lost: unknown;
  let deadlineTimer: NodeJS.Timeout | undefined;
  let passDeadline = () => {};
  const deadline = new Promise<void>((resolve) => {
    passDeadline = resolve;
  });
  const forceAfter = (ms: number, reason: string) =>
    setTimeout(() => {
      for (const pool of pools) Promise.resolve(pool.forcefulShutdown(reason)).catch(() => {});
    }, ms);
  let runner: Awaited<ReturnType<typeof startWorker>> | undefined;
  const restart = (why: unknown) => {
    if (lost !== undefined) return;
    lost = why ?? new Error('unknown failure');
    console.error(`error: ${firstLine(lost)}; stopping, to be restarted`);
    if (process.env.DEBUG) console.error(lost);
    runner?.stop('PostgreSQL went away under a job').catch(() => {});
    forceAfter(GRACE_MS, 'PostgreSQL went away under a job');
    deadlineTimer = setTimeout(passDeadline, GRACE_MS + FORCE_MS);
  };
  events.on('pool:fatalError', ({ error }) => restart(error));
  events.on('worker:fatalError', ({ error }) => restart(error));
  events.on('job:error', ({ error }) => {
    if (isLostConnection(error)) restart(error);
  });
  // Thrown outside any job (postgres.js writing on a closed socket): the process's state is unknown.
  process.on('uncaughtException', restart);

  runner = await startWorker({ ...o, events });
  const started = runner;
  if (lost !== undefined) started.stop().catch(() => {});

  // One signal lets the running jobs finish; a second fails them (they are retried); one while the process
  // is exiting after a loss ends its wait for the database.
  const giveUp = new AbortController();
  let exiting = false;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (lost !== undefined || exiting) {
      giveUp.abort();
      forceAfter(0, `received ${signal}`);
    } else if (signals === 1) {
      console.log(`${signal}: finishing running jobs…`);
      started.stop(`received ${signal}`).catch(() => {});
    } else {
      console.log(`${signal}: aborting running jobs (they will be retried)`);
      forceAfter(0, `received ${signal} twice`);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const ended = (async () => {
    const failure = await Promise.race([
      started.promise.then(
        () => undefined,
        (error: unknown) => error,
      ),
      deadline,
    ]);
    clearTimeout(deadlineTimer);
    // graphile-worker's runner also ends by itself, without an event, when its pool stops.
    if (lost === undefined && failure === undefined && signals > 0) return 0;
    exiting = true;
    if (lost === undefined)
      console.error(`error: ${firstLine(failure ?? 'graphile-worker stopped its pool')}; to be restarted`);
    const owners = lockOwners();
    console.error(`freeing the jobs locked as ${owners.join(', ')}, then exiting with code 1`);
    if (!(await freeLockedJobs(o.connectionString, owners, { everyMs: 2000, signal: giveUp.signal }))) {
      console.error(
        `jobs locked as ${owners.join(', ')} stay locked: run ` +
          `psql "$DATABASE_URL" -v owners=${owners.join(',')} -f sql/unlock_dead_workers.sql`,
      );
    }
    return 1;
  })();
  return { lockOwners: lockOwners(), ended };
}

const firstLine = (error: unknown) => ((error as Error)?.message ?? String(error)).split('\n')[0];
