-- ladder_try_jsonb: a payload stored as a JSON string is parsed again; text that is not JSON PostgreSQL can
-- read gives NULL (the row then derives to NULLs). Until now it caught WHEN others, which also swallowed a
-- cancelled statement, a lost connection's interrupts or a stack overflow, and the derivation carried on as
-- if the row were empty. Only the errors the json input function raises for bad text are caught now: invalid
-- syntax (22P02), an escape PostgreSQL cannot store (\u0000: 22P05), a number beyond numeric (22003).
-- Text that cannot start a JSON value returns NULL before the inner block, so without its subtransaction
-- (PostgreSQL 15 has no way to test JSON text without trying the cast; pg_input_is_valid is 16).
CREATE OR REPLACE FUNCTION ladder_try_jsonb(t text) RETURNS jsonb
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
