-- The 20 newest snapshots with any NULL L1 back size, snapshots without a derived row included
-- (derived_row = 'missing'). Feed their ids to sql/check_raw_l1_backsize.sql.
--   psql "$DATABASE_URL" -f sql/sample_l1_null_rows.sql
\set QUIET on
\pset footer off
\pset null '(null)'
SELECT s.snapshot_id,
       s.market_id,
       to_char(s.snapshot_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS snapshot_at_utc,
       s.status,
       CASE WHEN d.snapshot_id IS NULL THEN 'missing' ELSE 'present' END AS derived_row,
       d.home_best_back_size_l1,
       d.away_best_back_size_l1,
       d.draw_best_back_size_l1,
       e.event_name
FROM market_book_snapshots s
LEFT JOIN market_derived_metrics d ON d.snapshot_id = s.snapshot_id
LEFT JOIN market_event_metadata e ON e.market_id = s.market_id
WHERE d.snapshot_id IS NULL
   OR d.home_best_back_size_l1 IS NULL
   OR d.away_best_back_size_l1 IS NULL
   OR d.draw_best_back_size_l1 IS NULL
ORDER BY s.snapshot_at DESC, s.snapshot_id DESC
LIMIT 20;

\echo 'ids for check_raw_l1_backsize.sql:'
SELECT '{' || string_agg(snapshot_id::text, ',' ORDER BY snapshot_id) || '}' AS ids
FROM (
  SELECT s.snapshot_id
  FROM market_book_snapshots s
  LEFT JOIN market_derived_metrics d ON d.snapshot_id = s.snapshot_id
  WHERE d.snapshot_id IS NULL OR d.home_best_back_size_l1 IS NULL
     OR d.away_best_back_size_l1 IS NULL OR d.draw_best_back_size_l1 IS NULL
  ORDER BY s.snapshot_at DESC, s.snapshot_id DESC
  LIMIT 20
) x;
