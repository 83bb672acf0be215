-- L1 back size NULLs per column, over all snapshots and over the last 7 days.
-- Run before and after a backfill:  psql "$DATABASE_URL" -f sql/verify_l1_backsize_nulls.sql
-- A snapshot without a derived row counts as NULL (not hidden, unlike the earlier inner join).
-- fillable: the raw ladder has a valid L1 for that role (a backfill will fill it);
-- expected: it has none, or the market has no role mapping (nothing to fill).
\set QUIET on
\pset footer off
\echo 'L1 back size NULLs (v_l1_null_counts)'
SELECT column_name,
       null_count,
       total_rows,
       pct_null || '%' AS pct_null,
       null_count_7d,
       fillable,
       expected
FROM v_l1_null_counts;

\echo 'Last 7 days'
SELECT c.column_name,
       count(*) FILTER (WHERE c.value IS NULL) AS null_count_7d,
       count(*) AS total_rows_7d,
       coalesce(round(100.0 * count(*) FILTER (WHERE c.value IS NULL) / nullif(count(*), 0), 2), 0) || '%' AS pct_null_7d
FROM market_book_snapshots s
LEFT JOIN market_derived_metrics d ON d.snapshot_id = s.snapshot_id
CROSS JOIN LATERAL (VALUES
  (1, 'home_best_back_size_l1', d.home_best_back_size_l1),
  (2, 'away_best_back_size_l1', d.away_best_back_size_l1),
  (3, 'draw_best_back_size_l1', d.draw_best_back_size_l1)) AS c(ord, column_name, value)
WHERE s.snapshot_at >= now() - interval '7 days'
GROUP BY c.ord, c.column_name
ORDER BY c.ord;

\echo 'Snapshots without a derived row, and stored 0.0 sizes (the earlier live path wrote 0.0 for "absent")'
SELECT (SELECT count(*) FROM market_book_snapshots s
        WHERE NOT EXISTS (SELECT 1 FROM market_derived_metrics d WHERE d.snapshot_id = s.snapshot_id)) AS without_derived_row,
       (SELECT count(*) FROM market_derived_metrics
        WHERE home_best_back_size_l1 = 0 OR away_best_back_size_l1 = 0 OR draw_best_back_size_l1 = 0) AS zero_l1_sizes;
