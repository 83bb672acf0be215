import type { Logger, TaskList } from 'graphile-worker';
import { type Runner, run, runOnce } from 'graphile-worker';
import { taskList } from '../tasks/index.ts';
import { holdTaskDatabase, withTaskDatabase } from './racing/task-db.ts';
import { quietWorkerLogger } from './worker-logger.ts';

export interface WorkerOptions {
  connectionString: string;
  /** Jobs run at once in this process (graphile-worker's concurrency). */
  concurrency?: number;
  /** Only matters for future run_at (retries); new jobs arrive by LISTEN/NOTIFY. */
  pollIntervalMs?: number;
  /** Tests and embedding programs handle signals themselves. */
  noHandleSignals?: boolean;
  /** Defaults to warnings and errors only. */
  logger?: Logger;
}

/** Every task bound to this runner's database (see src/racing/task-db.ts). */
function tasksFor(connectionString: string): TaskList {
  const bound: TaskList = {};
  for (const [identifier, task] of Object.entries(taskList)) {
    if (task)
      bound[identifier] = (payload, helpers) =>
        withTaskDatabase(connectionString, () => task(payload, helpers));
  }
  return bound;
}

function runnerOptions(o: WorkerOptions) {
  const concurrency = o.concurrency ?? 1;
  return {
    connectionString: o.connectionString,
    concurrency,
    maxPoolSize: concurrency + 2,
    pollInterval: o.pollIntervalMs ?? 1000,
    noHandleSignals: o.noHandleSignals ?? false,
    logger: o.logger ?? quietWorkerLogger,
    taskList: tasksFor(o.connectionString),
    // graphile-worker does not await an unbatched job completion, so runOnce could return while the last
    // job's row is still being deleted. Batched completions (delay 0: same tick) are flushed before the
    // pool's promise resolves: a drained queue is really empty when drainQueue returns.
    preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  };
}

/**
 * A long-running worker: stop it with runner.stop(), or SIGINT/SIGTERM unless noHandleSignals.
 * The tasks' shared postgres.js client (src/racing/task-db.ts) is closed when the runner ends.
 */
export async function startWorker(o: WorkerOptions): Promise<Runner> {
  const release = holdTaskDatabase(o.connectionString, o.concurrency ?? 1);
  let runner: Runner;
  try {
    runner = await run(runnerOptions(o));
  } catch (error) {
    await release();
    throw error;
  }
  runner.promise.then(release, release).catch(() => {});
  return runner;
}

/** Run every job that is due now, then return (graphile-worker's --once). */
export async function drainQueue(o: WorkerOptions): Promise<void> {
  const release = holdTaskDatabase(o.connectionString, o.concurrency ?? 1);
  try {
    await runOnce(runnerOptions(o));
  } finally {
    await release();
  }
}
