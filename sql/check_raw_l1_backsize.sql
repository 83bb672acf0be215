-- The raw L1 back level per role for given snapshots, runners matched by selectionId (never by array
-- position: the earlier script took runners[0] as home), both level shapes ({price,size} objects and
-- [price,size] arrays), next to the stored derived value and what derive_ladder_metrics() gives now.
--   psql "$DATABASE_URL" -v ids='{12390,12388}' -f sql/check_raw_l1_backsize.sql
\if :{?ids}
\else
  \echo 'usage: psql -v ids=''{1,2,3}'' -f sql/check_raw_l1_backsize.sql'
  \quit
\endif
\set QUIET on
\pset footer off
\pset null '(null)'
SELECT s.snapshot_id,
       s.market_id,
       role.name AS role,
       role.selection_id,
       coalesce(r ->> 'status', CASE WHEN role.selection_id IS NULL THEN 'no metadata' ELSE 'not in payload' END)
         AS runner_status,
       jsonb_typeof(r -> 'ex' -> 'availableToBack' -> 0) AS level_shape,
       jsonb_array_length(CASE WHEN jsonb_typeof(r -> 'ex' -> 'availableToBack') = 'array'
                               THEN r -> 'ex' -> 'availableToBack' END) AS back_levels,
       coalesce(r -> 'ex' -> 'availableToBack' -> 0 ->> 'price', r -> 'ex' -> 'availableToBack' -> 0 ->> 0) AS raw_l1_price,
       coalesce(r -> 'ex' -> 'availableToBack' -> 0 ->> 'size', r -> 'ex' -> 'availableToBack' -> 0 ->> 1) AS raw_l1_size,
       (ladder_level(r, 'availableToBack', 0)).size AS valid_l1_size,
       role.stored AS stored_l1_size
FROM market_book_snapshots s
LEFT JOIN market_event_metadata e ON e.market_id = s.market_id
LEFT JOIN market_derived_metrics d ON d.snapshot_id = s.snapshot_id
CROSS JOIN LATERAL (VALUES
  (1, 'home', e.home_selection_id, d.home_best_back_size_l1),
  (2, 'away', e.away_selection_id, d.away_best_back_size_l1),
  (3, 'draw', e.draw_selection_id, d.draw_best_back_size_l1)) AS role(ord, name, selection_id, stored)
CROSS JOIN LATERAL (SELECT ladder_runner(ladder_runners(s.raw_payload), role.selection_id) AS r) runner
WHERE s.snapshot_id = ANY (:'ids'::bigint[])
ORDER BY s.snapshot_id, role.ord;
