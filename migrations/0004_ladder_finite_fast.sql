-- ladder_finite() without numeric range checks: comparing against 1e300 and 1e-300 as numeric (300
-- digits of scale) cost more than everything else in a ladder level. Same answers for every value a
-- ladder holds; what changes is only where "absurd" starts:
--   JSON numbers: finite when their text form is shorter than 300 characters (jsonb prints numerics
--   without exponent, so that is between about 1e-297 and 1e299, always a valid double); longer -> NULL.
--   Numeric strings: up to 20 digits before and after the point and a 1-2 digit exponent (|x| < 1e120);
--   anything else ("NaN", "Infinity", "1e999", text) -> NULL.
CREATE OR REPLACE FUNCTION ladder_finite(v jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(v) = 'number' AND length(v #>> '{}') < 300 THEN (v #>> '{}')::double precision
    WHEN jsonb_typeof(v) = 'string'
      AND (v #>> '{}') ~ '^\s*[-+]?([0-9]{1,20}(\.[0-9]{0,20})?|\.[0-9]{1,20})([eE][-+]?[0-9]{1,2})?\s*$'
      THEN (v #>> '{}')::double precision
  END
$$;
