-- Terminal job errors the user must see: payloads that fail validation (bad date, end before start,
-- unknown region), and terminal API answers of jobs that have no per-date fetch_state row (enrich_horse).
-- Jobs recording here end successfully, so graphile-worker keeps no trace of them.
CREATE TABLE "job_errors" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"task_identifier" text NOT NULL,
	"job_id" text,
	"job_key" text,
	"payload" jsonb,
	"kind" text NOT NULL,
	"error" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "job_errors_kind_check" CHECK ("kind" in ('invalid_payload', 'api_error', 'invalid_response'))
);
--> statement-breakpoint
CREATE INDEX "job_errors_created_at_idx" ON "job_errors" USING btree ("created_at");
