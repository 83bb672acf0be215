// ladder_backfill_runs: one row per backfill run, its parameters, status, counts and keyset position.
import type { Db } from '../db.ts';
import type { BackfillParams } from './backfill-params.ts';

export const SKIP_REASONS = ['no_metadata', 'no_runners', 'nothing_to_fill'] as const;

export interface BackfillRun {
  id: number;
  job_id: string | null;
  dry_run: boolean;
  params: BackfillParams;
  status: string;
  scanned: number;
  derived_rows_created: number;
  updated_by_column: Record<string, number>;
  skipped_by_reason: Record<string, number>;
  errors: number;
  last_error: string | null;
  last_snapshot_id: number | null;
  started_at: Date;
  finished_at: Date | null;
}

const RUN_COLUMNS = `id::int, job_id, dry_run, params, status, scanned::float8 AS scanned,
  derived_rows_created::float8 AS derived_rows_created, updated_by_column, skipped_by_reason,
  errors::float8 AS errors, last_error, last_snapshot_id::float8 AS last_snapshot_id, started_at, finished_at`;

export async function getRun(db: Db, runId: number): Promise<BackfillRun | undefined> {
  const [run] = await db.unsafe<BackfillRun[]>(
    `SELECT ${RUN_COLUMNS} FROM ladder_backfill_runs WHERE id = $1::bigint`,
    [runId],
  );
  return run;
}

/** A new run row in status 'queued' (the CLI creates it before queueing, so it can follow the run). */
export async function createRun(
  db: Db,
  params: BackfillParams,
  jobId: string | null = null,
): Promise<number> {
  const { run_id: _ignored, ...stored } = params;
  const [row] = await db.unsafe<{ id: number }[]>(
    `INSERT INTO ladder_backfill_runs (job_id, dry_run, params, status)
     VALUES ($1::text, $2::boolean, $3::text::jsonb, 'queued') RETURNING id::int`,
    [jobId, params.dry_run, JSON.stringify(stored)],
  );
  if (!row) throw new Error('could not create a ladder_backfill_runs row');
  return row.id;
}

// Adds a jsonb object of counts into a jsonb column, key by key.
const mergeCounts = (column: string, param: string) => `(
  SELECT coalesce(jsonb_object_agg(k, coalesce((r.${column} ->> k)::bigint, 0) + coalesce((${param} ->> k)::bigint, 0)), '{}')
  FROM (SELECT jsonb_object_keys(r.${column}) UNION SELECT jsonb_object_keys(${param})) keys(k))`;

/** The run a job started and has not finished (a retried job continues it), found by the job's id. */
export async function openRunOfJob(db: Db, jobId: string): Promise<number | undefined> {
  const [own] = await db.unsafe<{ id: number }[]>(
    `SELECT id::int FROM ladder_backfill_runs WHERE job_id = $1::text AND status <> 'done' ORDER BY id DESC LIMIT 1`,
    [jobId],
  );
  return own?.id;
}

/** Marks a run running; every chosen column and every skip reason then appears in it, zeros included. */
export async function startRun(db: Db, runId: number, jobId: string | null, cols: readonly string[]) {
  await db.unsafe(
    `UPDATE ladder_backfill_runs r SET status = 'running', job_id = coalesce($2::text, r.job_id), finished_at = NULL,
       updated_by_column = ${mergeCounts('updated_by_column', '$3::text::jsonb')},
       skipped_by_reason = ${mergeCounts('skipped_by_reason', '$4::text::jsonb')}
     WHERE r.id = $1::bigint`,
    [
      runId,
      jobId,
      JSON.stringify(Object.fromEntries(cols.map((c) => [c, 0]))),
      JSON.stringify(Object.fromEntries(SKIP_REASONS.map((r) => [r, 0]))),
    ],
  );
}

export interface BatchProgress {
  scanned: number;
  created: number;
  filled: Record<string, number>;
  skipped: Record<string, number>;
  errors: number;
  lastError: string | null;
}

/** Adds one batch's counts and keyset position to its run, in the batch's own transaction. */
export async function recordBatch(
  tx: Db,
  runId: number,
  cols: readonly string[],
  c: BatchProgress,
  position: number,
) {
  await tx.unsafe(
    `UPDATE ladder_backfill_runs r SET
       scanned = r.scanned + $2::bigint,
       derived_rows_created = r.derived_rows_created + $3::bigint,
       updated_by_column = ${mergeCounts('updated_by_column', '$4::text::jsonb')},
       skipped_by_reason = ${mergeCounts('skipped_by_reason', '$5::text::jsonb')},
       errors = r.errors + $6::bigint,
       last_error = coalesce($7::text, r.last_error),
       last_snapshot_id = $8::bigint
     WHERE r.id = $1::bigint`,
    [
      runId,
      c.scanned,
      c.created,
      JSON.stringify(Object.fromEntries(cols.map((col) => [col, c.filled[col] ?? 0]))),
      JSON.stringify(c.skipped),
      c.errors,
      c.lastError,
      position,
    ],
  );
}

export async function finishRun(db: Db, runId: number, error?: string) {
  await (error === undefined
    ? db.unsafe(
        `UPDATE ladder_backfill_runs SET status = 'done', finished_at = now() WHERE id = $1::bigint`,
        [runId],
      )
    : db.unsafe(
        `UPDATE ladder_backfill_runs SET status = 'failed', last_error = $2::text, finished_at = now()
         WHERE id = $1::bigint`,
        [runId, error],
      ));
}
