CREATE TABLE "api_requests_daily" (
	"day" date NOT NULL,
	"endpoint" text NOT NULL,
	"status" integer,
	"requests" bigint NOT NULL,
	"errors" bigint NOT NULL,
	"bytes" bigint NOT NULL,
	"duration_ms" bigint NOT NULL,
	"summarised_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_requests_daily_key" UNIQUE NULLS NOT DISTINCT("day","endpoint","status")
);
--> statement-breakpoint
CREATE TABLE "date_amendments" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"date" date NOT NULL,
	"races_changed" integer NOT NULL,
	"runners_changed" integer NOT NULL,
	"runners_removed" integer NOT NULL,
	"runners_restored" integer NOT NULL,
	"amended_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "date_amendments_source_check" CHECK ("date_amendments"."source" in ('results', 'racecards'))
);
--> statement-breakpoint
ALTER TABLE "ra_mst_runners" ADD COLUMN "removed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "date_amendments_amended_at_idx" ON "date_amendments" USING btree ("amended_at");--> statement-breakpoint
CREATE INDEX "date_amendments_date_idx" ON "date_amendments" USING btree ("source","date");