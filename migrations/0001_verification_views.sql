-- Ladder derivation and verification views.
--
-- The mapping from a raw Betfair ladder to derived metrics lives here and only here: ingest and the
-- ladder backfill both call derive_ladder_metrics(), so the live path and the backfill can never
-- disagree again (the earlier system wrote 0.0 in one and NULL in the other).
-- Conventions: NULL means absent or invalid (no such level, price <= 1, size <= 0, "NaN", a REMOVED
-- runner); 0 is never produced. Runners are matched by selectionId, never by array position.

-- A JSON number, or a numeric string, as a finite double; anything else ("NaN", "Infinity", text,
-- null, objects, absurd exponents) is NULL.
CREATE FUNCTION ladder_finite(v jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN n IS NOT NULL AND abs(n) < 1e300 THEN n::double precision
  END
  FROM (
    SELECT CASE
      WHEN jsonb_typeof(v) = 'number' THEN (v #>> '{}')::numeric
      WHEN jsonb_typeof(v) = 'string' AND (v #>> '{}') ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?\s*$'
        THEN trim(v #>> '{}')::numeric
    END AS n
  ) x
$$;
--> statement-breakpoint

-- Text that may or may not be JSON (legacy payloads were stored as JSON strings).
CREATE FUNCTION ladder_try_jsonb(t text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN t::jsonb;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;
--> statement-breakpoint

-- The runners array of a stored MarketBook, whichever legacy form it was stored in: an object or a
-- JSON string holding one, with 'runners' or 'Runners'. An empty array when there is none.
CREATE FUNCTION ladder_runners(raw jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN jsonb_typeof(r) = 'array' THEN r ELSE '[]'::jsonb END
  FROM (
    SELECT coalesce(b -> 'runners', b -> 'Runners') AS r
    FROM (
      SELECT CASE WHEN jsonb_typeof(raw) = 'string' THEN ladder_try_jsonb(raw #>> '{}') ELSE raw END AS b
    ) book
  ) runners
$$;
--> statement-breakpoint

-- The runner with this selection id, compared by value whatever its JSON type (number or string).
CREATE FUNCTION ladder_runner(runners jsonb, selection_id bigint) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT r
  FROM jsonb_array_elements(runners) r
  WHERE selection_id IS NOT NULL
    AND ladder_finite(r -> 'selectionId') = selection_id
  LIMIT 1
$$;
--> statement-breakpoint

-- Level k (0 = best) of one side ('availableToBack' or 'availableToLay') of a runner's ladder, read
-- from REST {price, size} objects or legacy [price, size] arrays. NULLs unless price > 1 and size > 0.
CREATE FUNCTION ladder_level(
  runner jsonb, side text, k integer,
  OUT price double precision, OUT size double precision
)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p, s
  FROM (
    SELECT
      CASE jsonb_typeof(l) WHEN 'object' THEN ladder_finite(l -> 'price') WHEN 'array' THEN ladder_finite(l -> 0) END AS p,
      CASE jsonb_typeof(l) WHEN 'object' THEN ladder_finite(l -> 'size') WHEN 'array' THEN ladder_finite(l -> 1) END AS s
    FROM (SELECT runner -> 'ex' -> side -> k AS l) lvl
    WHERE coalesce(runner ->> 'status', 'ACTIVE') <> 'REMOVED'
  ) ps
  WHERE p > 1 AND s > 0
$$;
--> statement-breakpoint

CREATE TYPE ladder_metrics AS (
  total_volume double precision,
  home_best_back double precision, home_best_lay double precision,
  home_best_back_size_l1 double precision, home_best_lay_size_l1 double precision,
  home_back_odds_l2 double precision, home_back_size_l2 double precision,
  home_back_odds_l3 double precision, home_back_size_l3 double precision,
  away_best_back double precision, away_best_lay double precision,
  away_best_back_size_l1 double precision, away_best_lay_size_l1 double precision,
  away_back_odds_l2 double precision, away_back_size_l2 double precision,
  away_back_odds_l3 double precision, away_back_size_l3 double precision,
  draw_best_back double precision, draw_best_lay double precision,
  draw_best_back_size_l1 double precision, draw_best_lay_size_l1 double precision,
  draw_back_odds_l2 double precision, draw_back_size_l2 double precision,
  draw_back_odds_l3 double precision, draw_back_size_l3 double precision
);
--> statement-breakpoint

-- The one derivation: a raw MarketBook plus the market's home/away/draw selection ids -> metrics.
CREATE FUNCTION derive_ladder_metrics(raw jsonb, home_id bigint, away_id bigint, draw_id bigint)
RETURNS ladder_metrics
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ROW(
    ladder_finite(CASE WHEN jsonb_typeof(raw) = 'string' THEN ladder_try_jsonb(raw #>> '{}') ELSE raw END -> 'totalMatched'),
    hb1.price, hl1.price, hb1.size, hl1.size, hb2.price, hb2.size, hb3.price, hb3.size,
    ab1.price, al1.price, ab1.size, al1.size, ab2.price, ab2.size, ab3.price, ab3.size,
    db1.price, dl1.price, db1.size, dl1.size, db2.price, db2.size, db3.price, db3.size
  )::ladder_metrics
  FROM (SELECT ladder_runners(raw) AS rs) x
  CROSS JOIN LATERAL (
    SELECT ladder_runner(rs, home_id) AS h, ladder_runner(rs, away_id) AS a, ladder_runner(rs, draw_id) AS d
  ) r
  CROSS JOIN LATERAL ladder_level(r.h, 'availableToBack', 0) hb1
  CROSS JOIN LATERAL ladder_level(r.h, 'availableToLay', 0) hl1
  CROSS JOIN LATERAL ladder_level(r.h, 'availableToBack', 1) hb2
  CROSS JOIN LATERAL ladder_level(r.h, 'availableToBack', 2) hb3
  CROSS JOIN LATERAL ladder_level(r.a, 'availableToBack', 0) ab1
  CROSS JOIN LATERAL ladder_level(r.a, 'availableToLay', 0) al1
  CROSS JOIN LATERAL ladder_level(r.a, 'availableToBack', 1) ab2
  CROSS JOIN LATERAL ladder_level(r.a, 'availableToBack', 2) ab3
  CROSS JOIN LATERAL ladder_level(r.d, 'availableToBack', 0) db1
  CROSS JOIN LATERAL ladder_level(r.d, 'availableToLay', 0) dl1
  CROSS JOIN LATERAL ladder_level(r.d, 'availableToBack', 1) db2
  CROSS JOIN LATERAL ladder_level(r.d, 'availableToBack', 2) db3
$$;
--> statement-breakpoint

-- Runner coverage per race year: races without runners are the gap a backfill must close.
CREATE VIEW v_runner_coverage_by_year AS
WITH per_race AS (
  SELECT r.id, extract(year FROM r.date)::integer AS year, count(run.id) AS runners
  FROM ra_mst_races r
  LEFT JOIN ra_mst_runners run ON run.race_id = r.id
  GROUP BY r.id, r.date
)
SELECT
  year,
  count(*) AS total_races,
  count(*) FILTER (WHERE runners > 0) AS races_with_runners,
  round(100.0 * count(*) FILTER (WHERE runners > 0) / count(*), 2) AS coverage_pct,
  sum(runners)::bigint AS total_runners,
  round(sum(runners)::numeric / count(*), 1) AS avg_runners_per_race
FROM per_race
GROUP BY year
ORDER BY year DESC;
--> statement-breakpoint

-- A horse counts as enriched once /horses/{id}/pro answered for it; a 404 ('not_available') does not.
CREATE VIEW v_horse_enrichment AS
SELECT
  count(*) AS total_horses,
  count(*) FILTER (WHERE enrichment_status = 'enriched') AS enriched_horses,
  count(*) FILTER (WHERE enrichment_status IS DISTINCT FROM 'enriched') AS not_enriched,
  coalesce(round(100.0 * count(*) FILTER (WHERE enrichment_status = 'enriched') / nullif(count(*), 0), 2), 0)
    AS enrichment_pct
FROM ra_horses;
--> statement-breakpoint

CREATE VIEW v_pedigree_coverage AS
SELECT
  count(*) AS total_horses,
  count(p.horse_id) AS horses_with_pedigree,
  coalesce(round(100.0 * count(p.horse_id) / nullif(count(*), 0), 2), 0) AS pedigree_coverage_pct
FROM ra_horses h
LEFT JOIN ra_horse_pedigree p ON p.horse_id = h.id;
--> statement-breakpoint

CREATE VIEW v_entity_counts AS
          SELECT 'jockeys'::text AS entity_type, count(*) AS total_count FROM ra_jockeys
UNION ALL SELECT 'trainers', count(*) FROM ra_trainers
UNION ALL SELECT 'owners', count(*) FROM ra_owners
UNION ALL SELECT 'horses', count(*) FROM ra_horses
UNION ALL SELECT 'pedigrees', count(*) FROM ra_horse_pedigree
UNION ALL SELECT 'courses', count(*) FROM ra_courses
UNION ALL SELECT 'races', count(*) FROM ra_mst_races
UNION ALL SELECT 'runners', count(*) FROM ra_mst_runners;
--> statement-breakpoint

-- Foreign keys prevent orphans; this view proves it stays so (and catches rows loaded with FKs off).
CREATE VIEW v_orphaned_runners AS
SELECT
  run.id AS runner_id,
  run.race_id,
  run.horse_id,
  concat_ws(' and ',
    CASE WHEN h.id IS NULL THEN 'horse' END,
    CASE WHEN r.id IS NULL THEN 'race' END) AS missing
FROM ra_mst_runners run
LEFT JOIN ra_horses h ON h.id = run.horse_id
LEFT JOIN ra_mst_races r ON r.id = run.race_id
WHERE h.id IS NULL OR r.id IS NULL;
--> statement-breakpoint

-- NULL L1 back sizes per role, over every snapshot (a snapshot without a derived row counts as NULL,
-- so orphans are not hidden). fillable: the raw ladder has a valid L1 for that role's selection id,
-- so a backfill can fill it; expected: it has not (or the market has no role mapping).
CREATE VIEW v_l1_null_counts AS
WITH cells AS (
  SELECT
    c.column_name,
    c.value,
    s.snapshot_at,
    s.raw_payload,
    c.selection_id
  FROM market_book_snapshots s
  LEFT JOIN market_derived_metrics d ON d.snapshot_id = s.snapshot_id
  LEFT JOIN market_event_metadata e ON e.market_id = s.market_id
  CROSS JOIN LATERAL (VALUES
    ('home_best_back_size_l1', d.home_best_back_size_l1, e.home_selection_id),
    ('away_best_back_size_l1', d.away_best_back_size_l1, e.away_selection_id),
    ('draw_best_back_size_l1', d.draw_best_back_size_l1, e.draw_selection_id)
  ) AS c(column_name, value, selection_id)
),
counted AS (
  SELECT
    column_name,
    count(*) FILTER (WHERE value IS NULL) AS null_count,
    count(*) AS total_rows,
    count(*) FILTER (WHERE value IS NULL AND snapshot_at >= now() - interval '7 days') AS null_count_7d,
    count(*) FILTER (
      WHERE value IS NULL
        AND (ladder_level(ladder_runner(ladder_runners(raw_payload), selection_id), 'availableToBack', 0)).size IS NOT NULL
    ) AS fillable
  FROM cells
  GROUP BY column_name
)
SELECT
  col.column_name,
  coalesce(k.null_count, 0) AS null_count,
  coalesce(k.total_rows, 0) AS total_rows,
  coalesce(round(100.0 * k.null_count / nullif(k.total_rows, 0), 2), 0) AS pct_null,
  coalesce(k.null_count_7d, 0) AS null_count_7d,
  coalesce(k.fillable, 0) AS fillable,
  coalesce(k.null_count - k.fillable, 0) AS expected
FROM (VALUES (1, 'home_best_back_size_l1'), (2, 'away_best_back_size_l1'), (3, 'draw_best_back_size_l1'))
  AS col(ord, column_name)
LEFT JOIN counted k USING (column_name)
ORDER BY col.ord;
--> statement-breakpoint

-- Backfill progress per source. Dates come from fetch_state (one row per queued source and date);
-- enrichment counts horses. The ETA assumes the configured rate of the source's rate-limit bucket
-- (rate_limit_slots; 2 requests/second when no worker has configured one yet) and, for dates, the
-- average pages per finished date.
CREATE VIEW v_backfill_progress AS
WITH dates AS (
  SELECT
    src.source,
    count(f.date) AS total,
    count(*) FILTER (WHERE f.status IN ('done', 'outside_window')) AS done,
    count(*) FILTER (WHERE f.status = 'failed') AS failed,
    count(*) FILTER (WHERE f.status = 'pending') AS pending,
    coalesce(avg(f.pages) FILTER (WHERE f.status = 'done' AND f.pages > 0), 1) AS pages_per_date
  FROM (VALUES ('racecards'), ('results')) AS src(source)
  LEFT JOIN fetch_state f ON f.source = src.source
  GROUP BY src.source
),
horses AS (
  SELECT
    'horses'::text AS source,
    count(*) AS total,
    count(*) FILTER (WHERE enrichment_status = 'enriched') AS done,
    count(*) FILTER (WHERE enrichment_status = 'not_available') AS failed,
    count(*) FILTER (WHERE enrichment_status IS NULL) AS pending,
    1::numeric AS pages_per_date
  FROM ra_horses
),
sources AS (
  SELECT source, 'dates'::text AS unit, total, done, failed, pending, pages_per_date FROM dates
  UNION ALL
  SELECT source, 'horses', total, done, failed, pending, pages_per_date FROM horses
),
rates AS (
  SELECT
    s.source,
    1000.0 / coalesce(
      (SELECT interval_ms FROM rate_limit_slots WHERE key = 'racing_api:' || s.source),
      (SELECT interval_ms FROM rate_limit_slots WHERE key = 'racing_api'),
      500
    ) AS rate_per_sec
  FROM sources s
)
SELECT
  s.source,
  s.unit,
  s.total,
  s.done,
  s.failed,
  s.pending,
  (SELECT count(*) FROM api_requests a
    WHERE a.endpoint = s.source AND a.requested_at >= now() - interval '1 hour') AS requests_last_hour,
  ceil(s.pending * s.pages_per_date)::bigint AS requests_remaining,
  round(r.rate_per_sec::numeric, 3)::double precision AS rate_per_sec,
  make_interval(secs => ceil(s.pending * s.pages_per_date) / r.rate_per_sec) AS eta
FROM sources s
JOIN rates r USING (source)
ORDER BY s.source;
