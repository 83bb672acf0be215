// The per-runner metrics: the fields of the runner_ladder_metrics composite returned by
// ladder_runner_values() (migrations/0001_functions.sql) and, under the same names, columns of
// market_runner_metrics. One derivation: the three-role table (market_derived_metrics) takes its values from
// the same SQL function.
// SQL built from these names is safe: they are constants, never user input.

import type { Db } from '../db.ts';

export const RUNNER_METRIC_COLUMNS = [
  'status',
  'ltp',
  'traded_volume',
  ...[1, 2, 3].flatMap((k) => [`back_price_l${k}`, `back_size_l${k}`]),
  ...[1, 2, 3].flatMap((k) => [`lay_price_l${k}`, `lay_size_l${k}`]),
  'spn',
  'spf',
] as readonly string[];

/**
 * INSERT ... SELECT of the per-runner rows of the snapshots in `relation` (a CTE or table with
 * snapshot_id, market_id, snapshot_at, raw_payload): one row per runner with a selection id; a
 * selection id repeated in a book keeps its first row.
 */
export function insertRunnerMetricsFrom(relation: string): string {
  const cols = RUNNER_METRIC_COLUMNS.join(', ');
  const vals = RUNNER_METRIC_COLUMNS.map((c) => `v.${c}`).join(', ');
  return `
  INSERT INTO market_runner_metrics (snapshot_id, selection_id, market_id, snapshot_at, ${cols})
  SELECT s.snapshot_id, sel.id, s.market_id, s.snapshot_at, ${vals}
  FROM ${relation} s
  CROSS JOIN LATERAL jsonb_array_elements(ladder_runners(s.raw_payload)) r
  CROSS JOIN LATERAL (SELECT ladder_finite(r -> 'selectionId')::bigint AS id) sel
  CROSS JOIN LATERAL ladder_runner_values(r) v
  WHERE sel.id IS NOT NULL
  ON CONFLICT (snapshot_id, selection_id) DO NOTHING`;
}

const FILL_BATCH = `
WITH todo AS (
  SELECT s.snapshot_id, s.market_id, s.snapshot_at, s.raw_payload
  FROM market_book_snapshots s
  WHERE s.snapshot_id > $1
    AND ($3::text IS NULL OR s.market_id = $3)
    AND NOT EXISTS (SELECT 1 FROM market_runner_metrics m WHERE m.snapshot_id = s.snapshot_id)
  ORDER BY s.snapshot_id
  LIMIT $2
),
filled AS (${insertRunnerMetricsFrom('todo')} RETURNING snapshot_id)
SELECT (SELECT max(snapshot_id) FROM todo) AS last_id, (SELECT count(*) FROM todo)::int AS snapshots,
       (SELECT count(*) FROM filled)::int AS rows`;

export interface RunnerFillCounts {
  snapshots: number;
  rows: number;
}

/**
 * The backfill of market_runner_metrics: every snapshot without per-runner rows (books imported before
 * the table existed, or through listMarketBook) gets them, in snapshot_id order, `batchSize` per
 * statement. Safe to rerun and to run beside imports (ON CONFLICT DO NOTHING).
 */
export async function backfillRunnerMetrics(
  db: Db,
  options: { marketId?: string; batchSize?: number } = {},
): Promise<RunnerFillCounts> {
  const batchSize = options.batchSize ?? 500;
  const total: RunnerFillCounts = { snapshots: 0, rows: 0 };
  let after = 0;
  for (;;) {
    const [row] = await db.unsafe<{ last_id: string | null; snapshots: number; rows: number }[]>(FILL_BATCH, [
      after,
      batchSize,
      options.marketId ?? null,
    ]);
    if (!row || row.snapshots === 0 || row.last_id === null) return total;
    total.snapshots += row.snapshots;
    total.rows += row.rows;
    after = Number(row.last_id);
  }
}
