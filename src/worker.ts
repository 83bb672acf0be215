import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger, ParsedCronItem, TaskList } from 'graphile-worker';
import { type Runner, run, type WorkerEvents, type WorkerPool } from 'graphile-worker';
import { taskList } from '../tasks/index.ts';
import { connect, type Sql } from './db.ts';
import { TASK } from './racing/queue.ts';
import { holdTaskDatabase, withTaskDatabase } from './task-db.ts';
import { quietWorkerLogger } from './worker-logger.ts';

export interface WorkerOptions {
  connectionString: string;
  /**
   * Jobs run at once in this process (graphile-worker's concurrency). 0 with enrichConcurrency: a process
   * of the enrichment lane only (its own event loop, beside a worker that writes the days).
   */
  concurrency?: number;
  /**
   * More jobs at once for enrich_horse only: a second runner in this process that takes nothing else (the
   * enrichment lane). Day fetches are written at the speed of the machine and leave the API budget idle
   * meanwhile; horse calls beside them keep it busy. 0 (default): enrich jobs wait behind the day fetches.
   */
  enrichConcurrency?: number;
  /** Only matters for future run_at (retries); new jobs arrive by LISTEN/NOTIFY. */
  pollIntervalMs?: number;
  /** Tests and embedding programs handle signals themselves. */
  noHandleSignals?: boolean;
  /** Defaults to warnings and errors only. */
  logger?: Logger;
  /** Receives graphile-worker's events (job:start, job:complete, …), for programs that watch the runner. */
  events?: WorkerEvents;
  /**
   * The daily schedule (src/daily/schedule.ts readSchedule/parseSchedule): graphile-worker's cron runs it in
   * this runner. None by default; drainQueue never runs one.
   */
  schedule?: ParsedCronItem[];
}

/**
 * The worker pools of the runners started with these events. graphile-worker (0.18) locks a job as its pool:
 * `locked_by` holds the pool's id, shared by all the pool's workers (not the workers' own ids).
 */
export function trackPools(events: WorkerEvents): WorkerPool[] {
  const pools: WorkerPool[] = [];
  events.on('pool:create', ({ workerPool }) => pools.push(workerPool));
  return pools;
}

/**
 * Frees the jobs (and named queues) locked by `ids`, with graphile-worker's public
 * `graphile_worker.force_unlock_workers`, trying again every `everyMs` while the database does not answer (a
 * server restarting) until `attempts` tries or `signal` aborts. Returns whether it succeeded. Only for ids
 * whose runner has stopped: freeing a job that is still running lets another worker start it a second time.
 */
export async function freeLockedJobs(
  url: string,
  ids: readonly string[],
  { attempts = Number.POSITIVE_INFINITY, everyMs = 1000, signal }: FreeOptions = {},
): Promise<boolean> {
  if (ids.length === 0) return true;
  const sql = connect(url, { max: 1 });
  try {
    for (let attempt = 1; attempt <= attempts && !signal?.aborted; attempt++) {
      try {
        await sql`select graphile_worker.force_unlock_workers(${ids as string[]}::text[])`;
        return true;
      } catch {
        await delay(everyMs, undefined, { signal }).catch(() => {});
      }
    }
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

export interface FreeOptions {
  attempts?: number;
  everyMs?: number;
  signal?: AbortSignal;
}

/** The one task of the enrichment lane. */
const ENRICH_LANE_TASKS: readonly string[] = [TASK.enrichHorse];

/** The tasks (all, or those named) bound to this runner's database (see src/racing/task-db.ts). */
function tasksFor(connectionString: string, only?: readonly string[]): TaskList {
  const bound: TaskList = {};
  for (const [identifier, task] of Object.entries(taskList)) {
    if (task && (!only || only.includes(identifier)))
      bound[identifier] = (payload, helpers) =>
        withTaskDatabase(connectionString, () => task(payload, helpers));
  }
  return bound;
}

function runnerOptions(o: WorkerOptions, events = o.events, lane = false) {
  const concurrency = lane ? (o.enrichConcurrency ?? 0) : (o.concurrency ?? 1);
  return {
    connectionString: o.connectionString,
    concurrency,
    maxPoolSize: concurrency + 2,
    pollInterval: o.pollIntervalMs ?? 1000,
    noHandleSignals: o.noHandleSignals ?? false,
    logger: o.logger ?? quietWorkerLogger,
    taskList: tasksFor(o.connectionString, lane ? ENRICH_LANE_TASKS : undefined),
    ...(events ? { events } : {}),
    // Always explicit: without it graphile-worker would load ./crontab from the working directory by itself.
    // The schedule runs in the main runner only.
    parsedCronItems: lane ? [] : (o.schedule ?? []),
    // graphile-worker does not await an unbatched job completion, so a stopped runner could leave the last
    // job's row still being deleted. Batched completions (delay 0: same tick) are flushed before the
    // pool's promise resolves: a drained queue is really empty when drainQueue returns.
    preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  };
}

/** The runners of one worker (the main one, and the enrichment lane if any) as one. */
export interface WorkerRunner {
  /** Stops every runner (running jobs finish). */
  stop(reason?: string): Promise<void>;
  /** Settles when every runner has ended; rejects with the first failure. */
  promise: Promise<void>;
}

/** Whether these options start the main runner: the one that runs every task and the schedule. */
export const hasMainRunner = (o: Pick<WorkerOptions, 'concurrency'>) => (o.concurrency ?? 1) > 0;

/** Connections the tasks may use at once: one per job that can run at once. */
const jobsAtOnce = (o: WorkerOptions) => (o.concurrency ?? 1) + (o.enrichConcurrency ?? 0);

/**
 * Starts the main runner and, with enrichConcurrency, the enrichment lane; when one ends by itself (its
 * pool failed), the other is stopped too, so the worker ends as one.
 */
async function runAll(o: WorkerOptions, events = o.events): Promise<WorkerRunner> {
  const runners: Runner[] = [];
  const stopAll = (reason?: string) =>
    // stop() refuses a runner that already ended by itself.
    Promise.all(runners.map((r) => r.stop(reason).catch(() => {}))).then(() => {});
  try {
    if (hasMainRunner(o)) runners.push(await run(runnerOptions(o, events)));
    if ((o.enrichConcurrency ?? 0) > 0) runners.push(await run(runnerOptions(o, events, true)));
    if (runners.length === 0) throw new Error('nothing to run: concurrency and enrichConcurrency are both 0');
  } catch (error) {
    await stopAll();
    await Promise.allSettled(runners.map((r) => r.promise));
    throw error;
  }
  for (const r of runners)
    r.promise
      .then(
        () => stopAll(),
        () => stopAll(),
      )
      .catch(() => {});
  const promise = Promise.allSettled(runners.map((r) => r.promise)).then((results) => {
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  });
  return { stop: stopAll, promise };
}

/**
 * A long-running worker: stop it with runner.stop(), or SIGINT/SIGTERM unless noHandleSignals.
 * The tasks' shared postgres.js client (src/racing/task-db.ts) is closed when the runners end.
 */
export async function startWorker(o: WorkerOptions): Promise<WorkerRunner> {
  const release = holdTaskDatabase(o.connectionString, jobsAtOnce(o));
  let runner: WorkerRunner;
  try {
    runner = await runAll(o);
  } catch (error) {
    await release();
    throw error;
  }
  runner.promise.then(release, release).catch(() => {});
  return runner;
}

/**
 * Run every job that is due now with all `concurrency` workers, then return (the --once mode).
 *
 * Not graphile-worker's runOnce: there a worker that finds the queue empty exits, so when the queue starts
 * with one planning job (backfill_dates) the jobs it queues all ran on the one worker left, one at a time
 * whatever the concurrency. Here the workers keep running and the runner stops once none of them is
 * fetching or running a job and no job of ours is due and unlocked (a job rescheduled for a later retry is
 * not due, as in runOnce; jobs locked by other processes are theirs).
 */
export async function drainQueue(o: WorkerOptions): Promise<void> {
  const release = holdTaskDatabase(o.connectionString, jobsAtOnce(o));
  const sql = connect(o.connectionString, { max: 1 });
  // Listened to before run() starts the workers: their first events come at once.
  const events: WorkerEvents = o.events ?? new EventEmitter();
  const pools = trackPools(events);
  // A process of the enrichment lane only cannot run the jobs that queue enrich jobs: it stays while any job of
  // ours is running elsewhere too (a day fetch still to queue its horses).
  const watch = watchUntilDrained(events, sql, Object.keys(taskList), (o.concurrency ?? 1) === 0);
  try {
    const runner = await runAll({ ...o, schedule: [] }, events);
    let ended = false;
    try {
      watch.start();
      await Promise.race([
        watch.drained,
        // graphile-worker's runner.promise resolves even when its pool died of a fatal error.
        runner.promise.then(() => {
          ended = true;
        }),
      ]);
      if (ended) {
        // The pool ended by itself (a job's outcome could not be written): its jobs would stay locked for
        // graphile-worker's 4 hours; free them (for about a minute while the database comes back).
        await freeLockedJobs(
          o.connectionString,
          pools.map((p) => p.id),
          { attempts: 60 },
        );
        throw watch.fatal() ?? new Error('the worker stopped before the queue was drained');
      }
    } finally {
      watch.stop();
      // stop() refuses a runner that already ended by itself.
      if (!ended) await runner.stop().catch(() => {});
      await runner.promise;
    }
  } finally {
    watch.stop();
    await sql.end();
    await release();
  }
}

/** Checks in a row that may fail (a connection blip) before the drain gives up. */
const CHECK_ATTEMPTS = 5;

/**
 * Resolves `drained` once no worker is fetching or running a job and no job of ours could be taken now:
 * unlocked, due, attempts left, and not in a named queue that a worker holds (getJob's own rules). Only the
 * public jobs view is read: it does not show a queue's lock, but graphile-worker locks a named queue in the
 * same statement that locks one of its jobs and unlocks it with that job, so a queue is held exactly while
 * one of its jobs is locked.
 */
function watchUntilDrained(
  events: WorkerEvents,
  sql: Sql,
  tasks: readonly string[],
  whileLockedElsewhere = false,
) {
  // Workers between asking for a job and finishing it (or hearing there is none).
  let busy = 0;
  let moves = 0;
  let checking = false;
  let started = false;
  let stopped = false;
  let failures = 0;
  let fatal: Error | undefined;
  let settle = () => {};
  let fail: (error: unknown) => void = () => {};
  const drained = new Promise<void>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  // Handled where it is raced; this keeps a failure before that from counting as unhandled.
  drained.catch(() => {});
  async function check() {
    if (!started || stopped || checking || busy > 0) return;
    checking = true;
    const seen = moves;
    try {
      const [row] = await sql<{ due: boolean }[]>`
        select exists (
          select from graphile_worker.jobs j
          where j.task_identifier = any(${tasks as string[]}::text[]) and j.locked_at is null
            and j.run_at <= now() and j.attempts < j.max_attempts
            and not exists (
              select from graphile_worker.jobs held
              where held.queue_name = j.queue_name and held.locked_at is not null)
        ) as due`;
      // Only for a lane-only worker, and as a statement of its own: a parameter that switched it off inside
      // the one above left a scan of every job in the statement's generic plan, at every check.
      if (row?.due === false && whileLockedElsewhere) {
        const [elsewhere] = await sql<{ due: boolean }[]>`
          select exists (
            select from graphile_worker.jobs j
            where j.task_identifier = any(${tasks as string[]}::text[]) and j.locked_at is not null) as due`;
        if (elsewhere) row.due = elsewhere.due;
      }
      failures = 0;
      // Only trust the answer if no worker moved while it was being read.
      if (row?.due === false && busy === 0 && moves === seen) settle();
    } catch (error) {
      if (!stopped && ++failures >= CHECK_ATTEMPTS) fail(error);
    } finally {
      checking = false;
    }
  }
  const listeners = {
    'worker:getJob:start': () => moved(1),
    'worker:getJob:empty': () => moved(-1),
    'worker:getJob:error': () => moved(-1),
    'job:complete': () => moved(-1),
    'pool:fatalError': ({ error }: { error: unknown }) => {
      fatal ??= error instanceof Error ? error : new Error(String(error));
    },
  } as const;
  function moved(delta: number) {
    busy += delta;
    moves++;
    void check();
  }
  for (const [name, listener] of Object.entries(listeners))
    events.on(name as 'job:complete', listener as () => void);
  let timer: NodeJS.Timeout | undefined;
  return {
    drained,
    fatal: () => fatal,
    /** After run(): the schema exists and the workers are listening. */
    start() {
      started = true;
      // Also on a timer: a job queued for now by another process, or a check skipped while one was running.
      timer = setInterval(check, 200);
      void check();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const [name, listener] of Object.entries(listeners))
        events.off(name as 'job:complete', listener as () => void);
      settle();
    },
  };
}
