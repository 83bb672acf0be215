import { z } from 'zod';
import type { Db, Param } from './db-port.ts';
import { deriveFunction, isMetricColumn, METRIC_COLUMNS } from './metrics.ts';

const timestamp = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a timestamp (e.g. 2026-02-14 or 2026-02-14T17:00:00Z)');

/**
 * Snapshots per batch (one transaction each). On the 1M-snapshot bench (100,000 NULL rows), 500 took
 * 3.1-3.3 s, 2,000 2.8-3.5 s, 5,000 2.6-2.8 s, 10,000 2.6 s: per-batch costs (candidate query start,
 * planning, round trips, commit) stop mattering around 5,000, which still locks only a few thousand
 * rows for ~0.1 s and loses at most one such batch when a run is killed.
 */
export const DEFAULT_BATCH_SIZE = 5000;

/** The backfill_ladder payload (snake_case, as queued by SQL or the CLI). */
export const backfillParamsSchema = z
  .strictObject({
    dry_run: z.boolean().default(false),
    /** At most this many candidate snapshots (those with a NULL in a chosen column, or no derived row). */
    limit: z.number().int().positive().optional(),
    batch_size: z.number().int().min(1).max(50_000).default(DEFAULT_BATCH_SIZE),
    /** Columns to fill (default: every derived metric column). */
    columns: z
      .array(z.string().refine(isMetricColumn, { error: (issue) => `unknown column ${String(issue.input)}` }))
      .min(1)
      .optional(),
    /** snapshot_at >= since (inclusive). */
    since: timestamp.optional(),
    /** snapshot_at < until (exclusive). */
    until: timestamp.optional(),
    /** Continue this run row (its last_snapshot_id and counts) instead of starting a new one. */
    run_id: z.number().int().positive().optional(),
  })
  .refine(
    (p) => !p.since || !p.until || Date.parse(p.since) < Date.parse(p.until),
    'since must be before until',
  );

export type BackfillParams = z.output<typeof backfillParamsSchema>;

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
  const [run] = await db.query<BackfillRun>(
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
  const [row] = await db.query<{ id: number }>(
    `INSERT INTO ladder_backfill_runs (job_id, dry_run, params, status)
     VALUES ($1::text, $2::boolean, $3::text::jsonb, 'queued') RETURNING id::int`,
    [jobId, params.dry_run, JSON.stringify(stored)],
  );
  if (!row) throw new Error('could not create a ladder_backfill_runs row');
  return row.id;
}

/** Records a payload that never became a run (invalid), so the user sees why nothing happened. */
export async function recordRejectedPayload(db: Db, payload: unknown, jobId: string | null, error: string) {
  await db.query(
    `INSERT INTO ladder_backfill_runs (job_id, dry_run, params, status, last_error, finished_at)
     VALUES ($1::text, coalesce(($2::text::jsonb ->> 'dry_run')::boolean, false), $2::text::jsonb, 'failed', $3::text, now())`,
    [jobId, JSON.stringify(payload ?? null), error],
  );
}

// ---------------------------------------------------------------------------------------------
// The batch SQL. Column names come from METRIC_COLUMNS (constants), never from input.

const anyNull = (cols: readonly string[], alias: string) =>
  cols.map((c) => `${alias}.${c} IS NULL`).join(' OR ');

/**
 * Candidates: snapshots after the keyset position with no derived row or a NULL in a chosen column, the
 * first `$2` by snapshot_id. Returns the keyset position reached (NULL when there are no more candidates)
 * and the ids this run may work on.
 *
 * Found without reading every snapshot: derived rows with a NULL come from the partial indexes of
 * migration 0005 (market_derived_metrics_l1_null_idx / _any_null_idx), orphans from an anti-join of the
 * two primary keys, bounded by the last NULL candidate when the NULL side fills a whole batch. (Scanning
 * market_book_snapshots from the keyset cost ~5 us per snapshot; at 10% candidates that was most of a run.)
 * The time window is checked on the snapshot itself; its join is left out when there is none.
 *
 * Locked SKIP LOCKED, so a concurrent backfill takes other rows instead of waiting (no deadlock, no row
 * handled twice at once): the derived row (FOR NO KEY UPDATE, the lock its UPDATE takes anyway, on a page
 * the UPDATE writes anyway) or, for an orphan, the snapshot (NO KEY UPDATE: creating its derived row only
 * needs KEY SHARE). Locking snapshots for every candidate dirtied nearly every page of the large raw table.
 * Rows skipped as locked are passed over like before: the keyset position is the last candidate picked,
 * so a row that cannot be filled is never selected again by this run.
 */
export function candidateSql(cols: readonly string[], timeWindow: boolean) {
  const window = (alias: string) =>
    timeWindow
      ? `AND ($3::timestamptz IS NULL OR ${alias}.snapshot_at >= $3::timestamptz)
    AND ($4::timestamptz IS NULL OR ${alias}.snapshot_at < $4::timestamptz)`
      : '';
  return `
WITH nulls AS (
  SELECT d.snapshot_id
  FROM market_derived_metrics d
  ${timeWindow ? 'JOIN market_book_snapshots s ON s.snapshot_id = d.snapshot_id AND s.snapshot_id > $1::bigint' : ''}
  WHERE d.snapshot_id > $1::bigint
    AND (${anyNull(cols, 'd')})
    ${window('s')}
  ORDER BY d.snapshot_id
  LIMIT $2::int
),
bound AS (
  SELECT CASE WHEN count(*) = $2::int THEN max(snapshot_id) END AS hi FROM nulls
),
orphans AS (
  SELECT s.snapshot_id
  FROM market_book_snapshots s
  -- A LEFT JOIN with the same range on both sides lets the planner merge two index-only scans.
  LEFT JOIN market_derived_metrics d ON d.snapshot_id = s.snapshot_id
    AND d.snapshot_id > $1::bigint AND d.snapshot_id <= coalesce((SELECT hi FROM bound), ${INT8_MAX})
  WHERE s.snapshot_id > $1::bigint AND s.snapshot_id <= coalesce((SELECT hi FROM bound), ${INT8_MAX})
    AND d.snapshot_id IS NULL
    ${window('s')}
  ORDER BY s.snapshot_id
  LIMIT $2::int
),
picked AS (
  SELECT snapshot_id FROM (SELECT snapshot_id FROM nulls UNION ALL SELECT snapshot_id FROM orphans) c
  ORDER BY snapshot_id
  LIMIT $2::int
),
locked_rows AS (
  SELECT d.snapshot_id FROM market_derived_metrics d
  WHERE d.snapshot_id IN (SELECT snapshot_id FROM nulls)
    AND d.snapshot_id <= (SELECT max(snapshot_id) FROM picked)
  FOR NO KEY UPDATE OF d SKIP LOCKED
),
locked_orphans AS (
  SELECT s.snapshot_id FROM market_book_snapshots s
  WHERE s.snapshot_id IN (SELECT snapshot_id FROM orphans)
    AND s.snapshot_id <= (SELECT max(snapshot_id) FROM picked)
  FOR NO KEY UPDATE OF s SKIP LOCKED
)
SELECT (SELECT max(snapshot_id) FROM picked)::float8 AS position,
  coalesce((SELECT array_agg(snapshot_id::float8 ORDER BY snapshot_id)
            FROM (SELECT snapshot_id FROM locked_rows UNION ALL SELECT snapshot_id FROM locked_orphans) l),
           '{}') AS ids`;
}

const INT8_MAX = '9223372036854775807';

/**
 * Fills one batch: creates missing derived rows and sets each chosen column to COALESCE(col, derived)
 * where it is NULL. Run after the candidate rows are locked, so the "old" values read here cannot be
 * changed by another backfill before the UPDATE; counts come from rows the statements RETURN.
 * Returns per-column fills, rows created and, for rows left unchanged, why.
 *
 * `$1` is the batch's snapshot ids as a bigint[] literal ('{1,2,3}'). Per-row costs kept out of it
 * (measured on 500-row batches of the 1M-snapshot bench): the derivation is derive_ladder_back_l1()
 * when only level-1 back columns are asked for (deriveFunction()); the raw payload is not carried
 * through the CTEs (it is read again only for a row left unchanged, to tell no_runners from
 * nothing_to_fill); every count comes from one pass over the outcome.
 */
export function fillSql(cols: readonly string[]) {
  const fillFlags = cols
    .map((c) => `(m.${c} IS NOT NULL AND (d.snapshot_id IS NULL OR d.${c} IS NULL)) AS fill_${c}`)
    .join(',\n    ');
  const anyFill = cols.map((c) => `x.fill_${c}`).join(' OR ');
  const changed = '(c.snapshot_id IS NOT NULL OR u.snapshot_id IS NOT NULL)';
  const unchanged = `NOT ${changed}`;
  return `
WITH derived AS (
  SELECT s.snapshot_id, s.market_id, s.snapshot_at, s.status,
    e.home_selection_id, e.away_selection_id, e.draw_selection_id,
    (e.home_selection_id IS NOT NULL AND e.away_selection_id IS NOT NULL
     AND e.draw_selection_id IS NOT NULL) AS has_metadata,
    d.snapshot_id IS NOT NULL AS has_row,
    ${cols.map((c) => `m.${c}`).join(', ')},
    ${fillFlags}
  FROM market_book_snapshots s
  LEFT JOIN market_event_metadata e ON e.market_id = s.market_id
  CROSS JOIN LATERAL ${deriveFunction(cols)}(s.raw_payload, e.home_selection_id, e.away_selection_id,
                                           e.draw_selection_id) m
  LEFT JOIN market_derived_metrics d ON d.snapshot_id = s.snapshot_id
  WHERE s.snapshot_id IN (SELECT unnest($1::text::bigint[]))
),
created AS (
  INSERT INTO market_derived_metrics (snapshot_id, market_id, snapshot_at, status, ${cols.join(', ')})
  SELECT snapshot_id, market_id, snapshot_at, status, ${cols.join(', ')}
  FROM derived WHERE NOT has_row
  ON CONFLICT (snapshot_id) DO NOTHING
  RETURNING snapshot_id
),
updated AS (
  UPDATE market_derived_metrics t SET
    ${cols.map((c) => `${c} = COALESCE(t.${c}, x.${c})`).join(',\n    ')},
    derived_at = now()
  FROM derived x
  WHERE t.snapshot_id = x.snapshot_id AND x.has_row AND (${anyFill})
  RETURNING t.snapshot_id
),
outcome AS (
  SELECT x.has_metadata, c.snapshot_id IS NOT NULL AS was_created, ${changed} AS changed,
    ${cols.map((c) => `x.fill_${c}`).join(', ')},
    -- Only for a row left unchanged: its payload again (rarely more than a few rows a batch).
    CASE WHEN ${unchanged} AND x.has_metadata THEN (
      SELECT jsonb_array_length(ladder_runners(s.raw_payload)) < 3
        OR (ladder_runner(ladder_runners(s.raw_payload), x.home_selection_id) IS NULL
            AND ladder_runner(ladder_runners(s.raw_payload), x.away_selection_id) IS NULL
            AND ladder_runner(ladder_runners(s.raw_payload), x.draw_selection_id) IS NULL)
      FROM market_book_snapshots s WHERE s.snapshot_id = x.snapshot_id)
    END AS no_runners
  FROM derived x
  LEFT JOIN created c ON c.snapshot_id = x.snapshot_id
  LEFT JOIN updated u ON u.snapshot_id = x.snapshot_id
)
SELECT count(*)::int AS scanned,
  count(*) FILTER (WHERE was_created)::int AS created,
  jsonb_build_object(${cols.map((c) => `'${c}', count(*) FILTER (WHERE fill_${c} AND changed)`).join(', ')}) AS filled,
  jsonb_build_object(
    'no_metadata', count(*) FILTER (WHERE NOT changed AND NOT has_metadata),
    'no_runners', count(*) FILTER (WHERE NOT changed AND has_metadata AND no_runners),
    'nothing_to_fill', count(*) FILTER (WHERE NOT changed AND has_metadata AND NOT no_runners)) AS skipped
FROM outcome`;
}

/** The `$1` of fillSql(): the ids as a bigint[] literal (one text parameter, read the same by both drivers). */
export const idArray = (ids: readonly number[]) => `{${ids.join(',')}}`;

// Adds a jsonb object of counts into a jsonb column, key by key.
const mergeCounts = (column: string, param: string) => `(
  SELECT coalesce(jsonb_object_agg(k, coalesce((r.${column} ->> k)::bigint, 0) + coalesce((${param} ->> k)::bigint, 0)), '{}')
  FROM (SELECT jsonb_object_keys(r.${column}) UNION SELECT jsonb_object_keys(${param})) keys(k))`;

const RECORD_BATCH = `
UPDATE ladder_backfill_runs r SET
  scanned = r.scanned + $2::bigint,
  derived_rows_created = r.derived_rows_created + $3::bigint,
  updated_by_column = ${mergeCounts('updated_by_column', '$4::text::jsonb')},
  skipped_by_reason = ${mergeCounts('skipped_by_reason', '$5::text::jsonb')},
  errors = r.errors + $6::bigint,
  last_error = coalesce($7::text, r.last_error),
  last_snapshot_id = $8::bigint
WHERE r.id = $1::bigint`;

interface BatchCounts {
  scanned: number;
  created: number;
  filled: Record<string, number>;
  skipped: Record<string, number>;
  errors: number;
  lastError: string | null;
}

function addInto(target: Record<string, number>, source: Record<string, number>) {
  for (const [k, v] of Object.entries(source)) target[k] = (target[k] ?? 0) + v;
}

/** Carries a dry run's counts out of the savepoint it rolls back. */
class RolledBack extends Error {
  readonly row:
    | { scanned: number; created: number; filled: Record<string, number>; skipped: Record<string, number> }
    | undefined;
  constructor(row: RolledBack['row']) {
    super('dry run: rolled back');
    this.row = row;
  }
}

const firstLine = (error: unknown) => ((error as Error)?.message ?? String(error)).split('\n')[0] ?? '';

/**
 * One batch inside the caller's transaction. The fill runs under a savepoint: a dry run rolls it back
 * (so it reports exactly what the same SQL would change), and a failing batch is retried in halves down
 * to single rows, so one bad snapshot is counted as an error instead of stopping the run.
 */
async function fillBatch(
  tx: Db,
  ids: number[],
  cols: readonly string[],
  dryRun: boolean,
): Promise<BatchCounts> {
  const sql = fillSql(cols);
  const counts: BatchCounts = { scanned: 0, created: 0, filled: {}, skipped: {}, errors: 0, lastError: null };
  type Row = {
    scanned: number;
    created: number;
    filled: Record<string, number>;
    skipped: Record<string, number>;
  };
  const attempt = async (part: number[]) => {
    try {
      const row = await tx.savepoint(async (sp) => {
        const [result] = await sp.query<Row>(sql, [idArray(part)]);
        if (dryRun) throw new RolledBack(result);
        return result;
      });
      add(row);
      return true;
    } catch (error) {
      if (error instanceof RolledBack) {
        add(error.row);
        return true;
      }
      if (part.length === 1) {
        counts.scanned += 1;
        counts.errors += 1;
        counts.lastError = `snapshot ${part[0]}: ${firstLine(error)}`;
      }
      return false;
    }
  };
  const add = (row: Row | undefined) => {
    if (!row) return;
    counts.scanned += row.scanned;
    counts.created += row.created;
    addInto(counts.filled, row.filled);
    addInto(counts.skipped, row.skipped);
  };
  // A failing part is split in halves until the bad snapshots stand alone: one bad row in a batch of 5,000
  // costs ~25 statements instead of 5,000.
  const fill = async (part: number[]): Promise<void> => {
    if ((await attempt(part)) || part.length === 1) return;
    const half = Math.ceil(part.length / 2);
    await fill(part.slice(0, half));
    await fill(part.slice(half));
  };
  await fill(ids);
  return counts;
}

export interface BackfillOptions {
  jobId?: string | null;
  /** Stops between batches (graceful worker shutdown); the run resumes from its last batch. */
  signal?: AbortSignal;
  onBatch?: (run: BackfillRun) => void;
}

/**
 * Runs (or continues) a ladder backfill. Every batch commits on its own with the run row's progress
 * (last_snapshot_id and counts) in the same transaction, so a killed run loses at most one batch and
 * a re-run of the same run row continues after the last committed batch without counting twice.
 */
export async function runLadderBackfill(
  db: Db,
  params: BackfillParams,
  options: BackfillOptions = {},
): Promise<BackfillRun> {
  const runId = params.run_id ?? (await createRun(db, params, options.jobId ?? null));
  const existing = await getRun(db, runId);
  if (!existing) throw new Error(`ladder backfill run ${runId} does not exist`);
  if (existing.status === 'done') return existing;
  // A resumed run keeps its own parameters; the payload only names it.
  const p: BackfillParams = params.run_id
    ? backfillParamsSchema.parse({ ...existing.params, run_id: runId })
    : params;
  const cols = p.columns ?? METRIC_COLUMNS;
  // Every chosen column and every reason appears in the run row, zeros included.
  await db.query(
    `UPDATE ladder_backfill_runs r SET status = 'running', job_id = coalesce($2::text, r.job_id), finished_at = NULL,
       updated_by_column = ${mergeCounts('updated_by_column', '$3::text::jsonb')},
       skipped_by_reason = ${mergeCounts('skipped_by_reason', '$4::text::jsonb')}
     WHERE r.id = $1::bigint`,
    [
      runId,
      options.jobId ?? null,
      JSON.stringify(Object.fromEntries(cols.map((c) => [c, 0]))),
      JSON.stringify(Object.fromEntries(SKIP_REASONS.map((r) => [r, 0]))),
    ],
  );
  const timeWindow = p.since !== undefined || p.until !== undefined;
  const candidates = candidateSql(cols, timeWindow);
  let last = existing.last_snapshot_id ?? 0;
  let scanned = existing.scanned;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const size = p.limit === undefined ? p.batch_size : Math.min(p.batch_size, p.limit - scanned);
      if (size <= 0) break;
      const done = await db.transaction(async (tx) => {
        // For this transaction only: no JIT (a fill of 5,000 rows is estimated far above jit_above_cost,
        // CTE joins having no statistics, and compiling took ~0.4 s of a ~0.1 s statement), and a commit
        // that does not wait for its WAL flush (~2.4 ms a batch here; the run row's progress commits in
        // the same transaction, so a crash loses whole batches that a resumed run redoes, and the job's
        // own completion flushes everything before it).
        await tx.query(
          "SELECT set_config('jit', 'off', true), set_config('synchronous_commit', 'off', true)",
        );
        const [picked] = await tx.query<{ position: number | null; ids: number[] }>(
          candidates,
          (timeWindow ? [last, size, p.since ?? null, p.until ?? null] : [last, size]) satisfies Param[],
        );
        if (!picked || picked.position === null) return true;
        const ids = picked.ids;
        // Every candidate of the batch may be locked by a concurrent backfill: then nothing to fill here.
        const c =
          ids.length > 0
            ? await fillBatch(tx, ids, cols, p.dry_run)
            : { scanned: 0, created: 0, filled: {}, skipped: {}, errors: 0, lastError: null };
        const next = picked.position;
        await tx.query(RECORD_BATCH, [
          runId,
          c.scanned,
          c.created,
          JSON.stringify(Object.fromEntries(cols.map((col) => [col, c.filled[col] ?? 0]))),
          JSON.stringify(c.skipped),
          c.errors,
          c.lastError,
          next,
        ]);
        last = next;
        scanned += c.scanned;
        return false;
      });
      if (options.onBatch) {
        const run = await getRun(db, runId);
        if (run) options.onBatch(run);
      }
      if (done) break;
    }
  } catch (error) {
    await db
      .query(
        `UPDATE ladder_backfill_runs SET status = 'failed', last_error = $2::text, finished_at = now()
         WHERE id = $1::bigint`,
        [runId, firstLine(error)],
      )
      .catch(() => {});
    throw error;
  }
  await db.query(
    `UPDATE ladder_backfill_runs SET status = 'done', finished_at = now() WHERE id = $1::bigint`,
    [runId],
  );
  const finished = await getRun(db, runId);
  if (!finished) throw new Error(`ladder backfill run ${runId} disappeared`);
  return finished;
}
