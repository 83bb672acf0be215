// The ladder backfill's runner loop: candidate batches in snapshot_id order, each filled and recorded in
// its own transaction (backfill-sql.ts, backfill-batch.ts, backfill-runs.ts).
import type { Sql } from '../db.ts';
import { fillBatch, firstLine } from './backfill-batch.ts';
import { type BackfillParams, backfillParamsSchema } from './backfill-params.ts';
import {
  type BackfillRun,
  createRun,
  finishRun,
  getRun,
  openRunOfJob,
  recordBatch,
  startRun,
} from './backfill-runs.ts';
import { candidateSql } from './backfill-sql.ts';
import { METRIC_COLUMNS } from './metrics.ts';

// bench/ladder.ts imports the default batch size from here.

export interface BackfillOptions {
  jobId?: string | null;
  /** Stops between batches (graceful worker shutdown); the run resumes from its last batch. */
  signal?: AbortSignal;
  /** Called after each committed batch and awaited before the next one. */
  onBatch?: (run: BackfillRun) => void | Promise<void>;
}

/**
 * Runs (or continues) a ladder backfill. Every batch commits on its own with the run row's progress
 * (last_snapshot_id and counts) in the same transaction, so a killed run loses at most one batch and
 * a re-run of the same run row continues after the last committed batch without counting twice.
 */
export async function runLadderBackfill(
  sql: Sql,
  params: BackfillParams,
  options: BackfillOptions = {},
): Promise<BackfillRun> {
  const runId = params.run_id ?? (await createRun(sql, params, options.jobId ?? null));
  const existing = await getRun(sql, runId);
  if (!existing) throw new Error(`ladder backfill run ${runId} does not exist`);
  if (existing.status === 'done') return existing;
  // A resumed run keeps its own parameters; the payload only names it.
  const p: BackfillParams = params.run_id
    ? backfillParamsSchema.parse({ ...existing.params, run_id: runId })
    : params;
  const cols = p.columns ?? METRIC_COLUMNS;
  await startRun(sql, runId, options.jobId ?? null, cols);
  const timeWindow = p.since !== undefined || p.until !== undefined;
  const candidates = candidateSql(cols, timeWindow);
  let last = existing.last_snapshot_id ?? 0;
  let scanned = existing.scanned;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const size = p.limit === undefined ? p.batch_size : Math.min(p.batch_size, p.limit - scanned);
      if (size <= 0) break;
      const done = await sql.begin(async (tx) => {
        // For this transaction only: no JIT (a fill of 5,000 rows is estimated far above jit_above_cost,
        // CTE joins having no statistics, and compiling took longer than the statement), and a commit that
        // does not wait for its WAL flush (the run row's progress commits in the same transaction, so a
        // crash loses whole batches that a resumed run redoes, and the job's own completion flushes
        // everything before it).
        await tx.unsafe(
          "SELECT set_config('jit', 'off', true), set_config('synchronous_commit', 'off', true)",
        );
        const [picked] = await tx.unsafe<{ position: number | null; ids: number[] }[]>(
          candidates,
          timeWindow ? [last, size, p.since ?? null, p.until ?? null] : [last, size],
        );
        if (!picked || picked.position === null) return true;
        // Every candidate of the batch may be locked by a concurrent backfill: then nothing to fill here.
        const c =
          picked.ids.length > 0
            ? await fillBatch(tx, picked.ids, cols, p.dry_run)
            : { scanned: 0, created: 0, filled: {}, skipped: {}, errors: 0, lastError: null };
        await recordBatch(tx, runId, cols, c, picked.position);
        last = picked.position;
        scanned += c.scanned;
        return false;
      });
      if (options.onBatch) {
        const run = await getRun(sql, runId);
        if (run) await options.onBatch(run);
      }
      if (done) break;
    }
  } catch (error) {
    await finishRun(sql, runId, firstLine(error)).catch(() => {});
    throw error;
  }
  await finishRun(sql, runId);
  const finished = await getRun(sql, runId);
  if (!finished) throw new Error(`ladder backfill run ${runId} disappeared`);
  return finished;
}

/**
 * The backfill_ladder job: a payload naming no run starts one, or, when this job is a retry, continues the
 * run it started (found by its job id) after its last committed batch.
 */
export async function runLadderBackfillJob(
  sql: Sql,
  params: BackfillParams,
  job: { id: string; signal?: AbortSignal },
): Promise<BackfillRun> {
  const runId = params.run_id ?? (await openRunOfJob(sql, job.id));
  return runLadderBackfill(sql, runId === undefined ? params : { ...params, run_id: runId }, {
    jobId: job.id,
    signal: job.signal,
  });
}
