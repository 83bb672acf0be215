-- The kit's SQL functions, each created once here in its final form (0.2 baseline; after the tables of 0000,
-- before the views of 0002 that call them). Most are the ladder derivation: a raw Betfair MarketBook -> the
-- metrics of market_derived_metrics and market_runner_metrics. It lives here and only here; ingest, the stream
-- import and the ladder backfill all call it, so the live path and the backfill cannot disagree. The last two
-- link Betfair markets and runners to the racing tables.
--
-- Conventions: NULL means absent or invalid (no such level, price <= 1, size <= 0, not a finite number, a
-- REMOVED runner); 0 is never produced. Runners are matched by selectionId value (number or numeric string),
-- never by array position. Ladder levels are REST {price, size} objects or legacy [price, size] arrays; a
-- payload may be stored as a JSON string holding the book, with 'runners' or 'Runners'.
--
-- Functions that will be called once per snapshot are PL/pgSQL (plans cached per session) or single-expression
-- SQL (inlined by the planner): a LANGUAGE sql function that cannot be inlined is planned on every call.

-- A JSON number, or a numeric string, as a finite double; anything else ("NaN", "Infinity", text, null,
-- objects, absurd magnitudes) is NULL. JSON numbers: finite when their text is shorter than 300 characters
-- (jsonb prints numerics without exponent, so that is always a valid double). Numeric strings: up to 20
-- digits before and after the point and a 1-2 digit exponent.
CREATE FUNCTION ladder_finite(v jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(v) = 'number' AND length(v #>> '{}') < 300 THEN (v #>> '{}')::double precision
    WHEN jsonb_typeof(v) = 'string'
      AND (v #>> '{}') ~ '^\s*[-+]?([0-9]{1,20}(\.[0-9]{0,20})?|\.[0-9]{1,20})([eE][-+]?[0-9]{1,2})?\s*$'
      THEN (v #>> '{}')::double precision
  END
$$;
--> statement-breakpoint

-- Text that may or may not be JSON (legacy payloads were stored as JSON strings): its jsonb, or NULL when it is
-- not JSON PostgreSQL can read (the row then derives to NULLs). Only the errors the json input function raises
-- for bad text are caught: invalid syntax (22P02), an escape PostgreSQL cannot store (\u0000: 22P05), a number
-- beyond numeric (22003). WHEN others would also swallow a cancelled statement, a lost connection's interrupts
-- or a stack overflow, and the derivation would carry on as if the row were empty. Text that cannot start a
-- JSON value returns NULL before the inner block, so without its subtransaction (PostgreSQL 15 has no way to
-- test JSON text without trying the cast; pg_input_is_valid is 16).
CREATE FUNCTION ladder_try_jsonb(t text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF t IS NULL OR ltrim(t, E' \t\n\r') !~ '^[[{"0-9tfn-]' THEN
    RETURN NULL;
  END IF;
  BEGIN
    RETURN t::jsonb;
  EXCEPTION WHEN invalid_text_representation OR untranslatable_character OR numeric_value_out_of_range THEN
    RETURN NULL;
  END;
END
$$;
--> statement-breakpoint

-- The runners array of a stored MarketBook, whichever legacy form it was stored in. An empty array when
-- there is none. (Used by the per-runner metrics, src/betfair/runner-metrics.ts, and the backfill's
-- diagnostics; ladder_walk() reads the book itself.)
CREATE FUNCTION ladder_runners(raw jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  book jsonb := raw;
  rs jsonb;
BEGIN
  IF jsonb_typeof(book) = 'string' THEN
    book := ladder_try_jsonb(book #>> '{}');
  END IF;
  IF jsonb_typeof(book) = 'object' THEN
    rs := coalesce(book -> 'runners', book -> 'Runners');
  END IF;
  IF jsonb_typeof(rs) = 'array' THEN
    RETURN rs;
  END IF;
  RETURN '[]'::jsonb;
END
$$;
--> statement-breakpoint

-- The first runner with this selection id, compared by value whatever its JSON type. An index loop rather
-- than FOR ... IN SELECT jsonb_array_elements(): no cursor per call.
CREATE FUNCTION ladder_runner(runners jsonb, selection_id bigint) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  r jsonb;
BEGIN
  IF selection_id IS NULL OR jsonb_typeof(runners) IS DISTINCT FROM 'array' THEN
    RETURN NULL;
  END IF;
  FOR i IN 0 .. jsonb_array_length(runners) - 1 LOOP
    r := runners -> i;
    IF ladder_finite(r -> 'selectionId') = selection_id THEN
      RETURN r;
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;
--> statement-breakpoint

-- Level k (0 = best) of one side ('availableToBack' or 'availableToLay') of a runner's ladder. NULLs unless
-- price > 1 and size > 0 and the runner is not REMOVED. (For diagnostics, sql/check_raw_l1_backsize.sql: the
-- derivation reads levels in line, see ladder_runner_values().)
CREATE FUNCTION ladder_level(
  runner jsonb, side text, k integer,
  OUT price double precision, OUT size double precision
)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  l jsonb;
  p double precision;
  s double precision;
BEGIN
  IF runner IS NULL OR coalesce(runner ->> 'status', 'ACTIVE') = 'REMOVED' THEN
    RETURN;
  END IF;
  l := runner -> 'ex' -> side -> k;
  IF jsonb_typeof(l) = 'object' THEN
    p := ladder_finite(l -> 'price');
    s := ladder_finite(l -> 'size');
  ELSIF jsonb_typeof(l) = 'array' THEN
    p := ladder_finite(l -> 0);
    s := ladder_finite(l -> 1);
  END IF;
  IF p > 1 AND s > 0 THEN
    price := p;
    size := s;
  END IF;
END
$$;
--> statement-breakpoint

-- The columns of market_derived_metrics that the derivation fills, in table order.
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

-- The metrics of one runner of a MarketBook: the row of market_runner_metrics (in its column order) and the
-- per-role values of ladder_metrics. A REMOVED runner has no ladder (its status, ltp, traded volume and SP
-- projections are kept).
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

-- The one per-runner derivation: market_runner_metrics (src/betfair/runner-metrics.ts) takes its rows from it and
-- ladder_walk() below takes each role's values from it, so the per-runner table and the home/away/draw table
-- cannot disagree. NULL for absent or invalid (price <= 1, size <= 0, not finite), 0 never. Each level is read
-- in line rather than through ladder_level(): a JSON number is converted from its text right here (v ->> 0 is a
-- scalar's text), which is ladder_finite()'s rule for numbers; anything else goes through ladder_finite().
-- With back_l1_only only the level-1 back price and size are read (the usual backfill).
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

-- The one walk over a book, behind derive_ladder_metrics() and derive_ladder_back_l1(). One pass over the
-- runners keeps the three role runners (the first match each, stopping once all are found); each role's values
-- come from ladder_runner_values(). raw #> '{}' detoasts the payload once (every operator on a compressed value
-- would decompress it again). With back_l1_only only the level-1 back price and size of each role are read;
-- total_volume, the lay side and levels 2-3 stay NULL.
CREATE FUNCTION ladder_walk(raw jsonb, home_id bigint, away_id bigint, draw_id bigint, back_l1_only boolean)
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

-- The derivation: a raw MarketBook plus the market's home/away/draw selection ids -> every metric. A single
-- SELECT without FROM, so the planner inlines it to the ladder_walk() call.
CREATE FUNCTION derive_ladder_metrics(raw jsonb, home_id bigint, away_id bigint, draw_id bigint)
RETURNS ladder_metrics
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ladder_walk(raw, home_id, away_id, draw_id, false)
$$;
--> statement-breakpoint

-- What the usual backfill asks for: the level-1 back price and size of the three roles, the same values as
-- derive_ladder_metrics() gives for them, every other field NULL. backfill_ladder uses it when every requested
-- column is one of those six (src/betfair/metrics.ts) and so skips reading the rest of each ladder.
CREATE FUNCTION derive_ladder_back_l1(raw jsonb, home_id bigint, away_id bigint, draw_id bigint)
RETURNS ladder_metrics
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ladder_walk(raw, home_id, away_id, draw_id, true)
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
