import { type Runner, run, runOnce } from 'graphile-worker';
import { taskList } from '../tasks/index.ts';
import { quietWorkerLogger } from './worker-logger.ts';

export interface WorkerOptions {
  connectionString: string;
  /** Jobs run at once in this process (graphile-worker's concurrency). */
  concurrency?: number;
  /** Only matters for future run_at (retries); new jobs arrive by LISTEN/NOTIFY. */
  pollIntervalMs?: number;
  /** Tests and embedding programs handle signals themselves. */
  noHandleSignals?: boolean;
}

function runnerOptions(o: WorkerOptions) {
  const concurrency = o.concurrency ?? 1;
  return {
    connectionString: o.connectionString,
    concurrency,
    maxPoolSize: concurrency + 2,
    pollInterval: o.pollIntervalMs ?? 1000,
    noHandleSignals: o.noHandleSignals ?? false,
    logger: quietWorkerLogger,
    taskList,
  };
}

/** A long-running worker: stop it with runner.stop(), or SIGINT/SIGTERM unless noHandleSignals. */
export function startWorker(o: WorkerOptions): Promise<Runner> {
  return run(runnerOptions(o));
}

/** Run every job that is due now, then return (graphile-worker's --once). */
export function drainQueue(o: WorkerOptions): Promise<void> {
  return runOnce(runnerOptions(o));
}
