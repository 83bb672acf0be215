-- The ladder derivation: a raw Betfair MarketBook -> the metrics of market_derived_metrics. It lives here and
-- only here; ingest and the ladder backfill both call it, so the live path and the backfill cannot disagree.
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

-- The runners array of a stored MarketBook, whichever legacy form it was stored in. An empty array when
-- there is none. (Used by the views' and the backfill's diagnostics; the derivation walks the book itself.)
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
-- price > 1 and size > 0 and the runner is not REMOVED.
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

-- The one walk over a book, behind derive_ladder_metrics() and derive_ladder_back_l1(). One pass over the
-- runners keeps the three role runners (the first match each, stopping once all are found); each role's levels
-- come from one 'ex' lookup. raw #> '{}' detoasts the payload once (every operator on a compressed value would
-- decompress it again). A JSON number is converted from its text right here (v ->> 0 is a scalar's text),
-- which is ladder_finite()'s rule for numbers; anything else goes through ladder_finite(). With back_l1_only
-- only the level-1 back price and size of each role are read; total_volume, the lay side and levels 2-3 stay
-- NULL.
CREATE FUNCTION ladder_walk(raw jsonb, home_id bigint, away_id bigint, draw_id bigint, back_l1_only boolean)
RETURNS ladder_metrics
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  book jsonb := raw #> '{}';
  rs jsonb := book -> 'runners';
  hid double precision := home_id;
  aid double precision := away_id;
  did double precision := draw_id;
  n integer;
  r jsonb;
  sid double precision;
  h jsonb;
  a jsonb;
  d jsonb;
  ex jsonb;
  side jsonb;
  l jsonb;
  v jsonb;
  t text;
  p double precision;
  s double precision;
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
  -- Assigned either way, so that every return below gives a row of NULLs rather than a NULL row.
  m.total_volume := CASE WHEN NOT back_l1_only THEN ladder_finite(book -> 'totalMatched') END;
  IF jsonb_typeof(rs) IS DISTINCT FROM 'array' THEN
    RETURN m;
  END IF;
  n := jsonb_array_length(rs);
  FOR i IN 0 .. n - 1 LOOP
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
  IF h IS NOT NULL AND coalesce(h ->> 'status', 'ACTIVE') <> 'REMOVED' THEN
    ex := h -> 'ex';
    side := ex -> 'availableToBack';
    l := side -> 0;
    v := coalesce(l -> 'price', l -> 0);
    t := v ->> 0;
    p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    v := coalesce(l -> 'size', l -> 1);
    t := v ->> 0;
    s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    IF p > 1 AND s > 0 THEN m.home_best_back := p; m.home_best_back_size_l1 := s; END IF;
    IF NOT back_l1_only THEN
      l := side -> 1;
      v := coalesce(l -> 'price', l -> 0);
      t := v ->> 0;
      p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      v := coalesce(l -> 'size', l -> 1);
      t := v ->> 0;
      s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      IF p > 1 AND s > 0 THEN m.home_back_odds_l2 := p; m.home_back_size_l2 := s; END IF;
      l := side -> 2;
      v := coalesce(l -> 'price', l -> 0);
      t := v ->> 0;
      p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      v := coalesce(l -> 'size', l -> 1);
      t := v ->> 0;
      s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      IF p > 1 AND s > 0 THEN m.home_back_odds_l3 := p; m.home_back_size_l3 := s; END IF;
      side := ex -> 'availableToLay';
      l := side -> 0;
      v := coalesce(l -> 'price', l -> 0);
      t := v ->> 0;
      p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      v := coalesce(l -> 'size', l -> 1);
      t := v ->> 0;
      s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      IF p > 1 AND s > 0 THEN m.home_best_lay := p; m.home_best_lay_size_l1 := s; END IF;
    END IF;
  END IF;
  IF a IS NOT NULL AND coalesce(a ->> 'status', 'ACTIVE') <> 'REMOVED' THEN
    ex := a -> 'ex';
    side := ex -> 'availableToBack';
    l := side -> 0;
    v := coalesce(l -> 'price', l -> 0);
    t := v ->> 0;
    p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    v := coalesce(l -> 'size', l -> 1);
    t := v ->> 0;
    s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    IF p > 1 AND s > 0 THEN m.away_best_back := p; m.away_best_back_size_l1 := s; END IF;
    IF NOT back_l1_only THEN
      l := side -> 1;
      v := coalesce(l -> 'price', l -> 0);
      t := v ->> 0;
      p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      v := coalesce(l -> 'size', l -> 1);
      t := v ->> 0;
      s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      IF p > 1 AND s > 0 THEN m.away_back_odds_l2 := p; m.away_back_size_l2 := s; END IF;
      l := side -> 2;
      v := coalesce(l -> 'price', l -> 0);
      t := v ->> 0;
      p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      v := coalesce(l -> 'size', l -> 1);
      t := v ->> 0;
      s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      IF p > 1 AND s > 0 THEN m.away_back_odds_l3 := p; m.away_back_size_l3 := s; END IF;
      side := ex -> 'availableToLay';
      l := side -> 0;
      v := coalesce(l -> 'price', l -> 0);
      t := v ->> 0;
      p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      v := coalesce(l -> 'size', l -> 1);
      t := v ->> 0;
      s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      IF p > 1 AND s > 0 THEN m.away_best_lay := p; m.away_best_lay_size_l1 := s; END IF;
    END IF;
  END IF;
  IF d IS NOT NULL AND coalesce(d ->> 'status', 'ACTIVE') <> 'REMOVED' THEN
    ex := d -> 'ex';
    side := ex -> 'availableToBack';
    l := side -> 0;
    v := coalesce(l -> 'price', l -> 0);
    t := v ->> 0;
    p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    v := coalesce(l -> 'size', l -> 1);
    t := v ->> 0;
    s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
    IF p > 1 AND s > 0 THEN m.draw_best_back := p; m.draw_best_back_size_l1 := s; END IF;
    IF NOT back_l1_only THEN
      l := side -> 1;
      v := coalesce(l -> 'price', l -> 0);
      t := v ->> 0;
      p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      v := coalesce(l -> 'size', l -> 1);
      t := v ->> 0;
      s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      IF p > 1 AND s > 0 THEN m.draw_back_odds_l2 := p; m.draw_back_size_l2 := s; END IF;
      l := side -> 2;
      v := coalesce(l -> 'price', l -> 0);
      t := v ->> 0;
      p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      v := coalesce(l -> 'size', l -> 1);
      t := v ->> 0;
      s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      IF p > 1 AND s > 0 THEN m.draw_back_odds_l3 := p; m.draw_back_size_l3 := s; END IF;
      side := ex -> 'availableToLay';
      l := side -> 0;
      v := coalesce(l -> 'price', l -> 0);
      t := v ->> 0;
      p := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      v := coalesce(l -> 'size', l -> 1);
      t := v ->> 0;
      s := CASE WHEN jsonb_typeof(v) = 'number' AND length(t) < 300 THEN t::double precision ELSE ladder_finite(v) END;
      IF p > 1 AND s > 0 THEN m.draw_best_lay := p; m.draw_best_lay_size_l1 := s; END IF;
    END IF;
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
