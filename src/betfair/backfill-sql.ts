// The batch SQL of the ladder backfill. Column names come from METRIC_COLUMNS (constants), never from input.
import { deriveFunction } from './metrics.ts';

const anyNull = (cols: readonly string[], alias: string) =>
  cols.map((c) => `${alias}.${c} IS NULL`).join(' OR ');

/**
 * Candidates: snapshots after the keyset position with no derived row or a NULL in a chosen column, the
 * first `$2` by snapshot_id. Returns the keyset position reached (NULL when there are no more candidates)
 * and the ids this run may work on.
 *
 * Found without reading every snapshot: derived rows with a NULL come from the partial indexes of
 * the partial indexes market_derived_metrics_l1_null_idx / _any_null_idx, orphans from an anti-join of the
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
