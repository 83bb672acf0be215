-- Two costs of a results date's write transaction, measured on 302 runners (bench/ingest.ts):
--
-- 1. Runner rows checked three foreign keys (jockey, trainer, owner) and filled three indexes on them. The
--    loader writes those people from the same page in the same transaction, so the checks could never
--    fail; they and the index inserts were ~40% of the runner upsert. The race and horse keys stay (they
--    are the runner's identity); v_orphaned_runners now also reports a missing jockey, trainer or owner.
--    Index a person column yourself if you query runners by it (README, SQL recipes).
--
-- 2. raw_responses.body becomes the exact text the API sent (jsonb re-encoded it, and parsing ~250 KB of
--    JSON per page cost ~4 ms of a date's write); the separate body_text for non-JSON answers merges
--    into it. Query with body::jsonb. Old rows keep their JSON, rendered as text once here.
ALTER TABLE "ra_mst_runners" DROP CONSTRAINT "ra_mst_runners_jockey_id_ra_jockeys_id_fk";
--> statement-breakpoint
ALTER TABLE "ra_mst_runners" DROP CONSTRAINT "ra_mst_runners_trainer_id_ra_trainers_id_fk";
--> statement-breakpoint
ALTER TABLE "ra_mst_runners" DROP CONSTRAINT "ra_mst_runners_owner_id_ra_owners_id_fk";
--> statement-breakpoint
DROP INDEX "ra_mst_runners_jockey_idx";--> statement-breakpoint
DROP INDEX "ra_mst_runners_trainer_idx";--> statement-breakpoint
DROP INDEX "ra_mst_runners_owner_idx";--> statement-breakpoint
-- The type change rewrites the table under an exclusive lock (on a large archive this takes a while) and
-- compresses the rewritten bodies with the server's default method: lz4 for this transaction where the
-- server has it, as for new rows below.
DO $$
BEGIN
  PERFORM set_config('default_toast_compression', 'lz4', true);
EXCEPTION WHEN invalid_parameter_value OR feature_not_supported THEN
  NULL;
END
$$;--> statement-breakpoint
ALTER TABLE "raw_responses" ALTER COLUMN "body" SET DATA TYPE text USING coalesce("body"::text, "body_text");--> statement-breakpoint
ALTER TABLE "raw_responses" DROP COLUMN "body_text";--> statement-breakpoint
DO $$
BEGIN
  ALTER TABLE raw_responses ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 not available on this server: raw_responses.body keeps pglz';
END
$$;--> statement-breakpoint
CREATE OR REPLACE VIEW v_orphaned_runners AS
SELECT
  run.id AS runner_id,
  run.race_id,
  run.horse_id,
  concat_ws(' and ',
    CASE WHEN h.id IS NULL THEN 'horse' END,
    CASE WHEN r.id IS NULL THEN 'race' END,
    CASE WHEN run.jockey_id IS NOT NULL AND j.id IS NULL THEN 'jockey' END,
    CASE WHEN run.trainer_id IS NOT NULL AND t.id IS NULL THEN 'trainer' END,
    CASE WHEN run.owner_id IS NOT NULL AND o.id IS NULL THEN 'owner' END) AS missing
FROM ra_mst_runners run
LEFT JOIN ra_horses h ON h.id = run.horse_id
LEFT JOIN ra_mst_races r ON r.id = run.race_id
LEFT JOIN ra_jockeys j ON j.id = run.jockey_id
LEFT JOIN ra_trainers t ON t.id = run.trainer_id
LEFT JOIN ra_owners o ON o.id = run.owner_id
WHERE h.id IS NULL OR r.id IS NULL
   OR (run.jockey_id IS NOT NULL AND j.id IS NULL)
   OR (run.trainer_id IS NOT NULL AND t.id IS NULL)
   OR (run.owner_id IS NOT NULL AND o.id IS NULL);
