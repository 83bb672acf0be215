CREATE TABLE "betfair_market_races" (
	"market_id" text PRIMARY KEY NOT NULL,
	"race_id" text,
	"method" text,
	"reason" text,
	"off_diff_seconds" integer,
	"linked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "betfair_markets" (
	"market_id" text PRIMARY KEY NOT NULL,
	"event_type_id" text,
	"event_id" text,
	"event_name" text,
	"venue" text,
	"country_code" text,
	"timezone" text,
	"market_time" timestamp with time zone,
	"market_type" text,
	"market_name" text,
	"betting_type" text,
	"number_of_winners" integer,
	"status" text,
	"bsp_reconciled" boolean,
	"settled_time" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "betfair_runner_horses" (
	"market_id" text NOT NULL,
	"selection_id" bigint NOT NULL,
	"race_id" text NOT NULL,
	"runner_id" bigint NOT NULL,
	"horse_id" text NOT NULL,
	"method" text NOT NULL,
	"linked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "betfair_runner_horses_market_id_selection_id_pk" PRIMARY KEY("market_id","selection_id")
);
--> statement-breakpoint
CREATE TABLE "betfair_stream_files" (
	"sha256" text PRIMARY KEY NOT NULL,
	"path" text NOT NULL,
	"bytes" bigint NOT NULL,
	"markets" integer NOT NULL,
	"snapshots" integer NOT NULL,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "market_runner_metrics" (
	"snapshot_id" bigint NOT NULL,
	"selection_id" bigint NOT NULL,
	"market_id" text NOT NULL,
	"snapshot_at" timestamp with time zone NOT NULL,
	"status" text,
	"ltp" double precision,
	"traded_volume" double precision,
	"back_price_l1" double precision,
	"back_size_l1" double precision,
	"back_price_l2" double precision,
	"back_size_l2" double precision,
	"back_price_l3" double precision,
	"back_size_l3" double precision,
	"lay_price_l1" double precision,
	"lay_size_l1" double precision,
	"lay_price_l2" double precision,
	"lay_size_l2" double precision,
	"lay_price_l3" double precision,
	"lay_size_l3" double precision,
	"spn" double precision,
	"spf" double precision,
	CONSTRAINT "market_runner_metrics_snapshot_id_selection_id_pk" PRIMARY KEY("snapshot_id","selection_id")
);
--> statement-breakpoint
CREATE TABLE "market_runners" (
	"market_id" text NOT NULL,
	"selection_id" bigint NOT NULL,
	"name" text,
	"sort_priority" integer,
	"status" text,
	"removal_date" timestamp with time zone,
	"adjustment_factor" double precision,
	"bsp" double precision,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "market_runners_market_id_selection_id_pk" PRIMARY KEY("market_id","selection_id")
);
--> statement-breakpoint
ALTER TABLE "market_runner_metrics" ADD CONSTRAINT "market_runner_metrics_snapshot_id_market_book_snapshots_snapshot_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."market_book_snapshots"("snapshot_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "betfair_market_races_race_idx" ON "betfair_market_races" USING btree ("race_id");--> statement-breakpoint
CREATE INDEX "betfair_markets_market_time_idx" ON "betfair_markets" USING btree ("market_time");--> statement-breakpoint
CREATE INDEX "betfair_runner_horses_horse_idx" ON "betfair_runner_horses" USING btree ("horse_id");--> statement-breakpoint
CREATE INDEX "market_runner_metrics_market_at_idx" ON "market_runner_metrics" USING btree ("market_id","snapshot_at");--> statement-breakpoint
CREATE VIEW "public"."v_betfair_bsp_comparison" AS (
    SELECT h.market_id, h.selection_id, h.race_id, h.horse_id, run.horse_name,
      mr.bsp AS stream_bsp, b.results_bsp, mr.bsp - b.results_bsp AS difference
    FROM betfair_runner_horses h
    JOIN market_runners mr ON mr.market_id = h.market_id AND mr.selection_id = h.selection_id
    JOIN ra_mst_runners run ON run.id = h.runner_id
    CROSS JOIN LATERAL (SELECT ladder_finite(to_jsonb(run) -> 'bsp') AS results_bsp) b
    WHERE mr.bsp IS NOT NULL AND b.results_bsp IS NOT NULL
  );--> statement-breakpoint
CREATE VIEW "public"."v_betfair_link_coverage" AS (
    SELECT
      extract(year FROM m.market_time)::integer AS year,
      count(*) AS markets,
      count(l.race_id) AS linked,
      round(100.0 * count(l.race_id) / count(*), 2) AS linked_pct,
      coalesce(sum((SELECT count(*) FROM betfair_runner_horses h WHERE h.market_id = m.market_id)), 0)::bigint
        AS runners_linked,
      count(*) FILTER (WHERE l.reason = 'no_racing_data') AS unlinked_no_racing_data,
      count(*) FILTER (WHERE l.reason = 'no_course') AS unlinked_no_course,
      count(*) FILTER (WHERE l.reason = 'no_race_near_off') AS unlinked_no_race_near_off,
      count(*) FILTER (WHERE l.reason = 'ambiguous') AS unlinked_ambiguous,
      count(*) FILTER (WHERE l.market_id IS NULL) AS not_attempted
    FROM betfair_markets m
    LEFT JOIN betfair_market_races l ON l.market_id = m.market_id
    WHERE m.event_type_id = '7'
    GROUP BY 1
    ORDER BY 1 DESC
  );--> statement-breakpoint

-- ---- Hand-written (issue 14): the per-runner derivation and linking stream markets to the races ----

-- One runner of a MarketBook -> its metrics (market_runner_metrics, in column order). This is the ONE ladder
-- derivation: ladder_walk() below (behind derive_ladder_metrics() and derive_ladder_back_l1()) takes the
-- three-role values from it, so the per-runner table and the home/away/draw table cannot disagree. Same
-- conventions as before: NULL for absent or invalid (price <= 1, size <= 0, not finite); a REMOVED runner
-- has no ladder (its status, ltp, traded volume and SP projections are kept); 0 is never produced. With
-- back_l1_only only the level-1 back price and size are read (the usual backfill).
CREATE TYPE runner_ladder_metrics AS (
  status text, ltp double precision, traded_volume double precision,
  back_price_l1 double precision, back_size_l1 double precision,
  back_price_l2 double precision, back_size_l2 double precision,
  back_price_l3 double precision, back_size_l3 double precision,
  lay_price_l1 double precision, lay_size_l1 double precision,
  lay_price_l2 double precision, lay_size_l2 double precision,
  lay_price_l3 double precision, lay_size_l3 double precision,
  spn double precision, spf double precision
);
--> statement-breakpoint

CREATE FUNCTION ladder_runner_values(r jsonb, back_l1_only boolean DEFAULT false) RETURNS runner_ladder_metrics
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  m runner_ladder_metrics;
  ex jsonb;
  side jsonb;
  l jsonb;
  v jsonb;
  t text;
  p double precision;
  s double precision;
BEGIN
  -- Assigned first, so that every return gives a row of NULLs rather than a NULL row.
  m.status := CASE WHEN jsonb_typeof(r -> 'status') = 'string' THEN r ->> 'status' END;
  IF jsonb_typeof(r) IS DISTINCT FROM 'object' THEN
    RETURN m;
  END IF;
  IF NOT back_l1_only THEN
    p := ladder_finite(r -> 'lastPriceTraded');
    IF p > 1 THEN m.ltp := p; END IF;
    s := ladder_finite(r -> 'totalMatched');
    IF s > 0 THEN m.traded_volume := s; END IF;
    p := ladder_finite(r -> 'sp' -> 'nearPrice');
    IF p > 1 THEN m.spn := p; END IF;
    p := ladder_finite(r -> 'sp' -> 'farPrice');
    IF p > 1 THEN m.spf := p; END IF;
  END IF;
  IF coalesce(m.status, 'ACTIVE') = 'REMOVED' THEN
    RETURN m;
  END IF;
  ex := r -> 'ex';
  side := ex -> 'availableToBack';
    l := side -> 0;
    v := coalesce(l -> 'price', l -> 0);
    t := v ->> 0;
    p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    v := coalesce(l -> 'size', l -> 1);
    t := v ->> 0;
    s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    IF p > 1 AND s > 0 THEN m.back_price_l1 := p; m.back_size_l1 := s; END IF;
  IF back_l1_only THEN
    RETURN m;
  END IF;
    l := side -> 1;
    v := coalesce(l -> 'price', l -> 0);
    t := v ->> 0;
    p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    v := coalesce(l -> 'size', l -> 1);
    t := v ->> 0;
    s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    IF p > 1 AND s > 0 THEN m.back_price_l2 := p; m.back_size_l2 := s; END IF;
    l := side -> 2;
    v := coalesce(l -> 'price', l -> 0);
    t := v ->> 0;
    p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    v := coalesce(l -> 'size', l -> 1);
    t := v ->> 0;
    s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    IF p > 1 AND s > 0 THEN m.back_price_l3 := p; m.back_size_l3 := s; END IF;
  side := ex -> 'availableToLay';
    l := side -> 0;
    v := coalesce(l -> 'price', l -> 0);
    t := v ->> 0;
    p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    v := coalesce(l -> 'size', l -> 1);
    t := v ->> 0;
    s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    IF p > 1 AND s > 0 THEN m.lay_price_l1 := p; m.lay_size_l1 := s; END IF;
    l := side -> 1;
    v := coalesce(l -> 'price', l -> 0);
    t := v ->> 0;
    p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    v := coalesce(l -> 'size', l -> 1);
    t := v ->> 0;
    s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    IF p > 1 AND s > 0 THEN m.lay_price_l2 := p; m.lay_size_l2 := s; END IF;
    l := side -> 2;
    v := coalesce(l -> 'price', l -> 0);
    t := v ->> 0;
    p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    v := coalesce(l -> 'size', l -> 1);
    t := v ->> 0;
    s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    IF p > 1 AND s > 0 THEN m.lay_price_l3 := p; m.lay_size_l3 := s; END IF;
  RETURN m;
END
$$;
--> statement-breakpoint

-- The three-role walk, now taking each role's values from ladder_runner_values() (see above). Same
-- signature and results as in 0001_functions.sql; only where the per-runner values come from changed.
CREATE OR REPLACE FUNCTION ladder_walk(raw jsonb, home_id bigint, away_id bigint, draw_id bigint, back_l1_only boolean)
RETURNS ladder_metrics
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  book jsonb := raw #> '{}';
  rs jsonb := book -> 'runners';
  hid double precision := home_id;
  aid double precision := away_id;
  did double precision := draw_id;
  r jsonb;
  sid double precision;
  h jsonb;
  a jsonb;
  d jsonb;
  v jsonb;
  t text;
  x runner_ladder_metrics;
  m ladder_metrics;
BEGIN
  IF rs IS NULL THEN
    IF jsonb_typeof(book) = 'string' THEN
      book := ladder_try_jsonb(book #>> '{}');
    END IF;
    IF jsonb_typeof(book) IS DISTINCT FROM 'object' THEN
      m.total_volume := NULL;  -- a row of NULLs, not a NULL row
      RETURN m;
    END IF;
    rs := coalesce(book -> 'runners', book -> 'Runners');
  END IF;
  m.total_volume := CASE WHEN NOT back_l1_only THEN ladder_finite(book -> 'totalMatched') END;
  IF jsonb_typeof(rs) IS DISTINCT FROM 'array' THEN
    RETURN m;
  END IF;
  FOR i IN 0 .. jsonb_array_length(rs) - 1 LOOP
    r := rs -> i;
    v := r -> 'selectionId';
    t := v ->> 0;
    sid := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    IF sid IS NOT NULL THEN
      IF h IS NULL AND sid = hid THEN h := r; END IF;
      IF a IS NULL AND sid = aid THEN a := r; END IF;
      IF d IS NULL AND sid = did THEN d := r; END IF;
      EXIT WHEN (h IS NOT NULL OR hid IS NULL) AND (a IS NOT NULL OR aid IS NULL) AND (d IS NOT NULL OR did IS NULL);
    END IF;
  END LOOP;
  IF h IS NOT NULL THEN
    x := ladder_runner_values(h, back_l1_only);
    m.home_best_back := x.back_price_l1; m.home_best_back_size_l1 := x.back_size_l1;
    m.home_back_odds_l2 := x.back_price_l2; m.home_back_size_l2 := x.back_size_l2;
    m.home_back_odds_l3 := x.back_price_l3; m.home_back_size_l3 := x.back_size_l3;
    m.home_best_lay := x.lay_price_l1; m.home_best_lay_size_l1 := x.lay_size_l1;
  END IF;
  IF a IS NOT NULL THEN
    x := ladder_runner_values(a, back_l1_only);
    m.away_best_back := x.back_price_l1; m.away_best_back_size_l1 := x.back_size_l1;
    m.away_back_odds_l2 := x.back_price_l2; m.away_back_size_l2 := x.back_size_l2;
    m.away_back_odds_l3 := x.back_price_l3; m.away_back_size_l3 := x.back_size_l3;
    m.away_best_lay := x.lay_price_l1; m.away_best_lay_size_l1 := x.lay_size_l1;
  END IF;
  IF d IS NOT NULL THEN
    x := ladder_runner_values(d, back_l1_only);
    m.draw_best_back := x.back_price_l1; m.draw_best_back_size_l1 := x.back_size_l1;
    m.draw_back_odds_l2 := x.back_price_l2; m.draw_back_size_l2 := x.back_size_l2;
    m.draw_back_odds_l3 := x.back_price_l3; m.draw_back_size_l3 := x.back_size_l3;
    m.draw_best_lay := x.lay_price_l1; m.draw_best_lay_size_l1 := x.lay_size_l1;
  END IF;
  RETURN m;
END
$$;
--> statement-breakpoint

-- A name as the linking compares it: a trailing parenthesised part dropped (the country suffix of a horse,
-- " (IRE)"; an all-weather or course-variant mark, "Wolverhampton (AW)", "Newmarket (July)"), a leading
-- saddle-cloth number dropped ("3. Name"), lower case, letters and digits only.
CREATE FUNCTION betfair_name_key(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT nullif(regexp_replace(lower(regexp_replace(regexp_replace(coalesce(name, ''),
    '\s*\([^)]*\)\s*$', ''), '^\s*\d+\.\s*', '')), '[^a-z0-9]+', '', 'g'), '')
$$;
--> statement-breakpoint

-- Links the horse-racing markets (eventTypeId 7) whose scheduled off falls from p_from to p_to (UK days,
-- one day of slack each side) to their ra_mst_races row, then their selections to ra_mst_runners. A market
-- links when exactly one race at its course (betfair_name_key of venue and course) is off within
-- `tolerance` of marketTime; among several, the nearest off wins, then the race name sharing most words
-- with the market name. Links once made are kept; unlinked markets get a reason and are tried again on the
-- next call (import, and each racing-day load: src/racing/fetch-day.ts). Returns the markets linked.
CREATE FUNCTION betfair_link_markets(p_from date, p_to date, tolerance interval DEFAULT interval '10 minutes')
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  linked integer;
BEGIN
  WITH m AS (
    SELECT bm.market_id, bm.market_time, betfair_name_key(bm.venue) AS course_key,
      (bm.market_time AT TIME ZONE 'Europe/London')::date AS uk_day,
      regexp_split_to_array(lower(coalesce(bm.market_name, '')), '[^a-z0-9]+') AS words
    FROM betfair_markets bm
    LEFT JOIN betfair_market_races l ON l.market_id = bm.market_id
    WHERE bm.event_type_id = '7' AND l.race_id IS NULL
      AND bm.market_time >= (p_from - 1)::timestamp AT TIME ZONE 'Europe/London'
      AND bm.market_time < (p_to + 2)::timestamp AT TIME ZONE 'Europe/London'
  ),
  cand AS (
    SELECT m.market_id, r.id AS race_id,
      abs(extract(epoch FROM r.off_dt - m.market_time))::integer AS diff,
      (SELECT count(*) FROM unnest(m.words) w WHERE length(w) >= 3
         AND position(w IN lower(coalesce(r.race_name, ''))) > 0) AS name_score
    FROM m
    JOIN ra_mst_races r ON r.date BETWEEN m.uk_day - 1 AND m.uk_day + 1
      AND r.off_dt BETWEEN m.market_time - tolerance AND m.market_time + tolerance
      AND betfair_name_key(r.course) = m.course_key
  ),
  ranked AS (
    SELECT c.*, min(diff) OVER w AS best_diff,
      rank() OVER (PARTITION BY market_id ORDER BY diff, name_score DESC) AS rk
    FROM cand c
    WINDOW w AS (PARTITION BY market_id)
  ),
  best AS (
    SELECT market_id, min(race_id) FILTER (WHERE rk = 1) AS race_id, min(diff) AS diff,
      count(*) FILTER (WHERE rk = 1) AS ties,
      count(*) FILTER (WHERE diff = best_diff) AS nearest
    FROM ranked GROUP BY market_id
  ),
  outcome AS (
    SELECT m.market_id,
      CASE WHEN b.ties = 1 THEN b.race_id END AS race_id,
      CASE WHEN b.ties = 1 AND b.nearest = 1 THEN 'course_and_off'
           WHEN b.ties = 1 THEN 'course_off_and_race_name' END AS method,
      CASE WHEN b.ties = 1 THEN NULL
           WHEN b.ties > 1 THEN 'ambiguous'
           WHEN NOT EXISTS (SELECT 1 FROM ra_mst_races r WHERE r.date = m.uk_day) THEN 'no_racing_data'
           WHEN NOT EXISTS (SELECT 1 FROM ra_mst_races r WHERE r.date = m.uk_day
                              AND betfair_name_key(r.course) = m.course_key) THEN 'no_course'
           ELSE 'no_race_near_off' END AS reason,
      CASE WHEN b.ties = 1 THEN b.diff END AS diff
    FROM m LEFT JOIN best b USING (market_id)
  )
  INSERT INTO betfair_market_races AS x (market_id, race_id, method, reason, off_diff_seconds, linked_at)
  SELECT market_id, race_id, method, reason, diff, now() FROM outcome
  ON CONFLICT (market_id) DO UPDATE SET race_id = excluded.race_id, method = excluded.method,
    reason = excluded.reason, off_diff_seconds = excluded.off_diff_seconds, linked_at = now()
  WHERE x.race_id IS NULL;

  INSERT INTO betfair_runner_horses AS x (market_id, selection_id, race_id, runner_id, horse_id, method)
  SELECT DISTINCT ON (mr.market_id, mr.selection_id) mr.market_id, mr.selection_id, l.race_id, run.id,
    run.horse_id,
    CASE WHEN lower(mr.name) = lower(run.horse_name) THEN 'exact_name' ELSE 'normalised_name' END
  FROM betfair_market_races l
  JOIN betfair_markets bm ON bm.market_id = l.market_id
  JOIN market_runners mr ON mr.market_id = l.market_id
  JOIN ra_mst_runners run ON run.race_id = l.race_id
    AND betfair_name_key(run.horse_name) = betfair_name_key(mr.name)
  WHERE l.race_id IS NOT NULL
    AND bm.market_time >= (p_from - 1)::timestamp AT TIME ZONE 'Europe/London'
    AND bm.market_time < (p_to + 2)::timestamp AT TIME ZONE 'Europe/London'
  ORDER BY mr.market_id, mr.selection_id, run.id
  ON CONFLICT (market_id, selection_id) DO UPDATE SET race_id = excluded.race_id,
    runner_id = excluded.runner_id, horse_id = excluded.horse_id, method = excluded.method, linked_at = now()
  WHERE (x.race_id, x.runner_id, x.horse_id, x.method)
    IS DISTINCT FROM (excluded.race_id, excluded.runner_id, excluded.horse_id, excluded.method);

  SELECT count(*) INTO linked
  FROM betfair_market_races l JOIN betfair_markets bm USING (market_id)
  WHERE l.race_id IS NOT NULL
    AND bm.market_time >= (p_from - 1)::timestamp AT TIME ZONE 'Europe/London'
    AND bm.market_time < (p_to + 2)::timestamp AT TIME ZONE 'Europe/London';
  RETURN linked;
END
$$;
