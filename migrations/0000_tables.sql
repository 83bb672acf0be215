CREATE TABLE "api_requests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"requested_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"endpoint" text NOT NULL,
	"path" text NOT NULL,
	"query" text,
	"status" integer,
	"attempt" integer NOT NULL,
	"duration_ms" integer,
	"bytes" integer,
	"error" text,
	"job_id" text
);
--> statement-breakpoint
CREATE TABLE "fetch_state" (
	"source" text NOT NULL,
	"date" date NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"regions" text[],
	"pages" integer,
	"total" integer,
	"races" integer,
	"runners" integer,
	"attempts" integer DEFAULT 0 NOT NULL,
	"http_status" integer,
	"last_error" text,
	"error_path" text,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "fetch_state_pkey" PRIMARY KEY("source","date"),
	CONSTRAINT "fetch_state_source_check" CHECK ("fetch_state"."source" in ('results', 'racecards')),
	CONSTRAINT "fetch_state_status_check" CHECK ("fetch_state"."status" in ('pending', 'done', 'failed', 'outside_window'))
);
--> statement-breakpoint
CREATE TABLE "ladder_backfill_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" text,
	"dry_run" boolean NOT NULL,
	"params" jsonb NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"scanned" bigint DEFAULT 0 NOT NULL,
	"derived_rows_created" bigint DEFAULT 0 NOT NULL,
	"updated_by_column" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"skipped_by_reason" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"last_error" text,
	"last_snapshot_id" bigint,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "rate_limit_slots" (
	"key" text PRIMARY KEY NOT NULL,
	"next_slot" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"interval_ms" double precision NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "raw_responses" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"endpoint" text NOT NULL,
	"request_key" text NOT NULL,
	"date" date,
	"page" integer,
	"status" integer NOT NULL,
	"body" jsonb,
	"body_text" text,
	"valid" boolean NOT NULL,
	"validation_error" text,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "raw_responses_endpoint_key" UNIQUE("endpoint","request_key")
);
--> statement-breakpoint
CREATE TABLE "market_book_snapshots" (
	"snapshot_id" bigserial PRIMARY KEY NOT NULL,
	"market_id" text NOT NULL,
	"snapshot_at" timestamp with time zone NOT NULL,
	"raw_payload" jsonb NOT NULL,
	"status" text,
	"inplay" boolean,
	"total_matched" double precision,
	"source" text DEFAULT 'rest_listMarketBook' NOT NULL,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "market_book_snapshots_market_at_key" UNIQUE("market_id","snapshot_at")
);
--> statement-breakpoint
CREATE TABLE "market_derived_metrics" (
	"snapshot_id" bigint PRIMARY KEY NOT NULL,
	"market_id" text NOT NULL,
	"snapshot_at" timestamp with time zone NOT NULL,
	"status" text,
	"total_volume" double precision,
	"home_best_back" double precision,
	"home_best_lay" double precision,
	"home_best_back_size_l1" double precision,
	"home_best_lay_size_l1" double precision,
	"home_back_odds_l2" double precision,
	"home_back_size_l2" double precision,
	"home_back_odds_l3" double precision,
	"home_back_size_l3" double precision,
	"away_best_back" double precision,
	"away_best_lay" double precision,
	"away_best_back_size_l1" double precision,
	"away_best_lay_size_l1" double precision,
	"away_back_odds_l2" double precision,
	"away_back_size_l2" double precision,
	"away_back_odds_l3" double precision,
	"away_back_size_l3" double precision,
	"draw_best_back" double precision,
	"draw_best_lay" double precision,
	"draw_best_back_size_l1" double precision,
	"draw_best_lay_size_l1" double precision,
	"draw_back_odds_l2" double precision,
	"draw_back_size_l2" double precision,
	"draw_back_odds_l3" double precision,
	"draw_back_size_l3" double precision,
	"calculation_version" integer DEFAULT 1 NOT NULL,
	"derived_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "market_event_metadata" (
	"market_id" text PRIMARY KEY NOT NULL,
	"market_name" text,
	"market_start_time" timestamp with time zone,
	"event_id" text,
	"event_name" text,
	"event_open_date" timestamp with time zone,
	"country_code" text,
	"competition_id" text,
	"competition_name" text,
	"home_selection_id" bigint,
	"away_selection_id" bigint,
	"draw_selection_id" bigint,
	"home_runner_name" text,
	"away_runner_name" text,
	"draw_runner_name" text,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ra_bookmakers" (
	"name" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ra_courses" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text,
	"region_code" text,
	"region" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ra_horse_pedigree" (
	"horse_id" text PRIMARY KEY NOT NULL,
	"sire_id" text,
	"sire" text,
	"sire_horse_id" text GENERATED ALWAYS AS (case when sire_id ~ '^[a-z]+_[0-9]+$' then 'hrs_' || substring(sire_id from '[0-9]+$') end) STORED,
	"dam_id" text,
	"dam" text,
	"dam_horse_id" text GENERATED ALWAYS AS (case when dam_id ~ '^[a-z]+_[0-9]+$' then 'hrs_' || substring(dam_id from '[0-9]+$') end) STORED,
	"damsire_id" text,
	"damsire" text,
	"damsire_horse_id" text GENERATED ALWAYS AS (case when damsire_id ~ '^[a-z]+_[0-9]+$' then 'hrs_' || substring(damsire_id from '[0-9]+$') end) STORED,
	"breeder" text,
	"region" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ra_horses" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text,
	"sex" text,
	"sex_code" text,
	"dob" date,
	"colour" text,
	"colour_code" text,
	"region" text,
	"breeder" text,
	"sire_id" text,
	"dam_id" text,
	"damsire_id" text,
	"enrichment_status" text,
	"enriched_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ra_jockeys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ra_mst_races" (
	"id" text PRIMARY KEY NOT NULL,
	"course_id" text,
	"course" text,
	"date" date NOT NULL,
	"off_dt" timestamp with time zone,
	"race_name" text,
	"region" text,
	"type" text,
	"race_class" text,
	"pattern" text,
	"age_band" text,
	"rating_band" text,
	"sex_restriction" text,
	"distance_text" text,
	"distance_furlongs" numeric(6, 2),
	"distance_yards" integer,
	"distance_metres" integer,
	"going" text,
	"going_detailed" text,
	"surface" text,
	"jumps" text,
	"rail_movements" text,
	"stalls" text,
	"weather" text,
	"prize_amount" numeric(12, 2),
	"prize_currency" text,
	"field_size" integer,
	"is_abandoned" boolean,
	"is_big_race" boolean,
	"tip" text,
	"verdict" text,
	"betting_forecast" text,
	"winning_time_detail" text,
	"comments" text,
	"non_runners" text,
	"tote_win" text,
	"tote_pl" text,
	"tote_ex" text,
	"tote_csf" text,
	"tote_tricast" text,
	"tote_trifecta" text,
	"racecard_fetched_at" timestamp with time zone,
	"result_fetched_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ra_mst_runners" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"race_id" text NOT NULL,
	"horse_id" text NOT NULL,
	"jockey_id" text,
	"trainer_id" text,
	"owner_id" text,
	"horse_name" text,
	"number" integer,
	"draw" integer,
	"age" integer,
	"sex_code" text,
	"weight_lbs" integer,
	"weight_st_lbs" text,
	"headgear" text,
	"headgear_run" text,
	"wind_surgery" text,
	"wind_surgery_run" text,
	"ofr" integer,
	"rpr" integer,
	"ts" integer,
	"jockey_claim_lbs" integer,
	"sire_id" text,
	"dam_id" text,
	"damsire_id" text,
	"silk_url" text,
	"form" text,
	"last_run_days" integer,
	"trainer_rtf" integer,
	"comment" text,
	"spotlight" text,
	"past_results_flags" text[],
	"odds" jsonb,
	"position" text,
	"position_num" integer,
	"sp" text,
	"sp_dec" numeric(10, 2),
	"btn" numeric(8, 2),
	"ovr_btn" numeric(8, 2),
	"time_seconds" numeric(8, 2),
	"prize_amount" numeric(12, 2),
	"prize_currency" text,
	"result_comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ra_mst_runners_race_horse_key" UNIQUE("race_id","horse_id")
);
--> statement-breakpoint
CREATE TABLE "ra_owners" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ra_trainers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text,
	"location" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "market_derived_metrics" ADD CONSTRAINT "market_derived_metrics_snapshot_id_market_book_snapshots_snapshot_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."market_book_snapshots"("snapshot_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ra_horse_pedigree" ADD CONSTRAINT "ra_horse_pedigree_horse_id_ra_horses_id_fk" FOREIGN KEY ("horse_id") REFERENCES "public"."ra_horses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ra_mst_races" ADD CONSTRAINT "ra_mst_races_course_id_ra_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."ra_courses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ra_mst_runners" ADD CONSTRAINT "ra_mst_runners_race_id_ra_mst_races_id_fk" FOREIGN KEY ("race_id") REFERENCES "public"."ra_mst_races"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ra_mst_runners" ADD CONSTRAINT "ra_mst_runners_horse_id_ra_horses_id_fk" FOREIGN KEY ("horse_id") REFERENCES "public"."ra_horses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ra_mst_runners" ADD CONSTRAINT "ra_mst_runners_jockey_id_ra_jockeys_id_fk" FOREIGN KEY ("jockey_id") REFERENCES "public"."ra_jockeys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ra_mst_runners" ADD CONSTRAINT "ra_mst_runners_trainer_id_ra_trainers_id_fk" FOREIGN KEY ("trainer_id") REFERENCES "public"."ra_trainers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ra_mst_runners" ADD CONSTRAINT "ra_mst_runners_owner_id_ra_owners_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."ra_owners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_requests_requested_at_idx" ON "api_requests" USING btree ("requested_at");--> statement-breakpoint
CREATE INDEX "fetch_state_status_idx" ON "fetch_state" USING btree ("source","status");--> statement-breakpoint
CREATE INDEX "raw_responses_date_idx" ON "raw_responses" USING btree ("date");--> statement-breakpoint
CREATE INDEX "market_book_snapshots_snapshot_at_idx" ON "market_book_snapshots" USING btree ("snapshot_at");--> statement-breakpoint
CREATE INDEX "market_derived_metrics_market_at_idx" ON "market_derived_metrics" USING btree ("market_id","snapshot_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "market_event_metadata_start_idx" ON "market_event_metadata" USING btree ("market_start_time");--> statement-breakpoint
CREATE INDEX "market_event_metadata_competition_idx" ON "market_event_metadata" USING btree ("competition_name");--> statement-breakpoint
CREATE INDEX "ra_horses_enrichment_pending_idx" ON "ra_horses" USING btree ("id") WHERE "ra_horses"."enrichment_status" is null;--> statement-breakpoint
CREATE INDEX "ra_mst_races_date_idx" ON "ra_mst_races" USING btree ("date");--> statement-breakpoint
CREATE INDEX "ra_mst_races_course_idx" ON "ra_mst_races" USING btree ("course_id");--> statement-breakpoint
CREATE INDEX "ra_mst_runners_horse_idx" ON "ra_mst_runners" USING btree ("horse_id");--> statement-breakpoint
CREATE INDEX "ra_mst_runners_jockey_idx" ON "ra_mst_runners" USING btree ("jockey_id");--> statement-breakpoint
CREATE INDEX "ra_mst_runners_trainer_idx" ON "ra_mst_runners" USING btree ("trainer_id");--> statement-breakpoint
CREATE INDEX "ra_mst_runners_owner_idx" ON "ra_mst_runners" USING btree ("owner_id");