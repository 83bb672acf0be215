// The one statement that stores MarketBook snapshots with their derived rows, for both imports:
// listMarketBook books (market-books.ts) and stream files (ingest-stream.ts). One statement per batch, so a
// snapshot and its derived rows commit together (the earlier system committed them separately and left
// orphans). Duplicates on (market_id, snapshot_at) are skipped by ON CONFLICT DO NOTHING and get no derived
// rows from it. Column values are read from the stored payload itself.

import type { Db } from '../db.ts';
import { METRIC_COLUMNS } from './metrics.ts';
import { insertRunnerMetricsFrom } from './runner-metrics.ts';

/** What a batch derives besides the snapshots; the two imports differ, for the reasons given. */
export interface SnapshotDerivation {
  /**
   * Which new snapshots get their three-role row (market_derived_metrics, home/away/draw from
   * market_event_metadata):
   *   'every': each of them, with NULL roles while its market has no catalogue row. listMarketBook books
   *            are soccer MATCH_ODDS books whose catalogue may come later; the ladder backfill then fills
   *            the NULLs, and the reports count a derived row per snapshot.
   *   'known-roles': only snapshots of markets whose roles are known. Stream files are mostly horse
   *            racing (WIN, PLACE), which has no home/away/draw: a row of NULLs per snapshot would be noise.
   */
  roles: 'every' | 'known-roles';
  /** The per-runner rows (market_runner_metrics) too: stream files. listMarketBook books get them from
   *  backfillRunnerMetrics(). */
  runnerMetrics: boolean;
}

export interface SnapshotBatchCounts {
  inserted: number;
  /** Three-role rows written. */
  derived: number;
  /** Per-runner rows written. */
  runnerRows: number;
}

const metricList = METRIC_COLUMNS.join(', ');
const metricSelect = METRIC_COLUMNS.map((c) => `m.${c}`).join(', ');

function insertSnapshotsSql(d: SnapshotDerivation): string {
  return `
WITH input AS (
  SELECT (x ->> 'snapshot_at')::timestamptz AS snapshot_at, x -> 'raw' AS raw
  FROM jsonb_array_elements($1::text::jsonb) x
),
inserted AS (
  INSERT INTO market_book_snapshots (market_id, snapshot_at, raw_payload, status, inplay, total_matched, source)
  SELECT raw ->> 'marketId', snapshot_at, raw, raw ->> 'status',
         CASE jsonb_typeof(raw -> 'inplay') WHEN 'boolean' THEN (raw -> 'inplay')::boolean END,
         ladder_finite(raw -> 'totalMatched'), $2::text
  FROM input
  ON CONFLICT (market_id, snapshot_at) DO NOTHING
  RETURNING snapshot_id, market_id, snapshot_at, raw_payload, status
),
derived AS (
  INSERT INTO market_derived_metrics (snapshot_id, market_id, snapshot_at, status, ${metricList})
  SELECT i.snapshot_id, i.market_id, i.snapshot_at, i.status, ${metricSelect}
  FROM inserted i
  ${d.roles === 'every' ? 'LEFT JOIN' : 'JOIN'} market_event_metadata e ON e.market_id = i.market_id
  CROSS JOIN LATERAL derive_ladder_metrics(i.raw_payload, e.home_selection_id, e.away_selection_id,
                                           e.draw_selection_id) m
  ON CONFLICT (snapshot_id) DO NOTHING
  RETURNING 1
)${d.runnerMetrics ? `,\nrunners AS (${insertRunnerMetricsFrom('inserted')} RETURNING 1)` : ''}
SELECT (SELECT count(*) FROM inserted)::int AS inserted,
       (SELECT count(*) FROM derived)::int AS derived,
       ${d.runnerMetrics ? '(SELECT count(*) FROM runners)::int' : '0'} AS runner_rows`;
}

// The statements, built once each: four at most.
const statements = new Map<string, string>();

/**
 * Stores one batch: `batchJson` is a JSON array of {"snapshot_at": ISO time, "raw": MarketBook}, the books
 * as they are to be stored; `source` goes to market_book_snapshots.source.
 */
export async function insertSnapshotBatch(
  db: Db,
  batchJson: string,
  source: string,
  derivation: SnapshotDerivation,
): Promise<SnapshotBatchCounts> {
  const key = `${derivation.roles}/${derivation.runnerMetrics}`;
  let text = statements.get(key);
  if (text === undefined) {
    text = insertSnapshotsSql(derivation);
    statements.set(key, text);
  }
  const [row] = await db.unsafe<{ inserted: number; derived: number; runner_rows: number }[]>(text, [
    batchJson,
    source,
  ]);
  return {
    inserted: row?.inserted ?? 0,
    derived: row?.derived ?? 0,
    runnerRows: row?.runner_rows ?? 0,
  };
}
