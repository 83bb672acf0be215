CREATE TABLE "ra_course_regions" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ra_horse_medical" (
	"horse_id" text NOT NULL,
	"date" date NOT NULL,
	"type" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ra_horse_medical_horse_id_date_type_pk" PRIMARY KEY("horse_id","date","type")
);
--> statement-breakpoint
CREATE TABLE "ra_horse_prev_owners" (
	"horse_id" text NOT NULL,
	"owner_id" text NOT NULL,
	"owner" text,
	"change_date" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ra_horse_prev_owners_horse_id_owner_id_change_date_pk" PRIMARY KEY("horse_id","owner_id","change_date")
);
--> statement-breakpoint
CREATE TABLE "ra_horse_prev_trainers" (
	"horse_id" text NOT NULL,
	"trainer_id" text NOT NULL,
	"trainer" text,
	"change_date" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ra_horse_prev_trainers_horse_id_trainer_id_change_date_pk" PRIMARY KEY("horse_id","trainer_id","change_date")
);
--> statement-breakpoint
CREATE TABLE "ra_runner_odds" (
	"race_id" text NOT NULL,
	"horse_id" text NOT NULL,
	"bookmaker" text NOT NULL,
	"fractional" text,
	"decimal" numeric(10, 2),
	"ew_places" integer,
	"ew_denom" integer,
	"updated" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ra_runner_odds_race_id_horse_id_bookmaker_pk" PRIMARY KEY("race_id","horse_id","bookmaker")
);
--> statement-breakpoint
CREATE TABLE "ra_runner_odds_history" (
	"race_id" text NOT NULL,
	"horse_id" text NOT NULL,
	"bookmaker" text NOT NULL,
	"changed_at" timestamp with time zone NOT NULL,
	"fractional" text,
	"decimal" numeric(10, 2),
	CONSTRAINT "ra_runner_odds_history_race_id_horse_id_bookmaker_changed_at_pk" PRIMARY KEY("race_id","horse_id","bookmaker","changed_at")
);
--> statement-breakpoint
DROP VIEW "public"."v_backfill_progress";--> statement-breakpoint
DROP VIEW "public"."v_horse_enrichment";--> statement-breakpoint
ALTER TABLE "ra_mst_races" ADD COLUMN "tote_win_amount" numeric(12, 2);--> statement-breakpoint
ALTER TABLE "ra_mst_races" ADD COLUMN "tote_pl_amounts" numeric(12, 2)[];--> statement-breakpoint
ALTER TABLE "ra_mst_races" ADD COLUMN "tote_ex_amount" numeric(12, 2);--> statement-breakpoint
ALTER TABLE "ra_mst_races" ADD COLUMN "tote_csf_amount" numeric(12, 2);--> statement-breakpoint
ALTER TABLE "ra_mst_races" ADD COLUMN "tote_tricast_amount" numeric(12, 2);--> statement-breakpoint
ALTER TABLE "ra_mst_races" ADD COLUMN "tote_trifecta_amount" numeric(12, 2);--> statement-breakpoint
ALTER TABLE "ra_mst_races" ADD COLUMN "tote_currency" text;--> statement-breakpoint
ALTER TABLE "ra_mst_runners" ADD COLUMN "trainer_14_days_runs" integer;--> statement-breakpoint
ALTER TABLE "ra_mst_runners" ADD COLUMN "trainer_14_days_wins" integer;--> statement-breakpoint
ALTER TABLE "ra_mst_runners" ADD COLUMN "trainer_14_days_percent" numeric(6, 2);--> statement-breakpoint
ALTER TABLE "ra_mst_runners" ADD COLUMN "bsp" numeric(10, 2);--> statement-breakpoint
ALTER TABLE "ra_runner_odds" ADD CONSTRAINT "ra_runner_odds_race_id_ra_mst_races_id_fk" FOREIGN KEY ("race_id") REFERENCES "public"."ra_mst_races"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ra_runner_odds_history" ADD CONSTRAINT "ra_runner_odds_history_race_id_ra_mst_races_id_fk" FOREIGN KEY ("race_id") REFERENCES "public"."ra_mst_races"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE VIEW "public"."v_bsp_coverage_by_year" AS (
    SELECT
      extract(year FROM r.date)::integer AS year,
      count(*) AS result_runners,
      count(u.bsp) AS runners_with_bsp,
      round(100.0 * count(u.bsp) / count(*), 2) AS coverage_pct
    FROM ra_mst_runners u
    JOIN ra_mst_races r ON r.id = u.race_id
    WHERE u.position IS NOT NULL
    GROUP BY 1
    ORDER BY 1 DESC
  );--> statement-breakpoint
CREATE VIEW "public"."v_odds_coverage_by_year" AS (
    WITH per_runner AS (
      SELECT extract(year FROM r.date)::integer AS year,
             (SELECT count(*) FROM ra_runner_odds o WHERE o.race_id = u.race_id AND o.horse_id = u.horse_id) AS odds
      FROM ra_mst_runners u
      JOIN ra_mst_races r ON r.id = u.race_id
      WHERE r.racecard_fetched_at IS NOT NULL
    )
    SELECT
      year,
      count(*) AS racecard_runners,
      count(*) FILTER (WHERE odds > 0) AS runners_with_odds,
      sum(odds)::bigint AS odds_rows,
      round(100.0 * count(*) FILTER (WHERE odds > 0) / count(*), 2) AS coverage_pct
    FROM per_runner
    GROUP BY year
    ORDER BY year DESC
  );--> statement-breakpoint
CREATE VIEW "public"."v_backfill_progress" AS (
    WITH dates AS (
      SELECT
        src.source,
        count(f.date) AS total,
        count(*) FILTER (WHERE f.status IN ('done', 'outside_window')) AS done,
        count(*) FILTER (WHERE f.status = 'failed') AS failed,
        count(*) FILTER (WHERE f.status = 'pending') AS pending,
        count(*) FILTER (WHERE f.status = 'not_in_plan') AS not_in_plan,
        coalesce(avg(f.pages) FILTER (WHERE f.status = 'done' AND f.pages > 0), 1) AS pages_per_date
      FROM (VALUES ('racecards'), ('results')) AS src(source)
      LEFT JOIN fetch_state f ON f.source = src.source
      GROUP BY src.source
    ),
    horses AS (
      SELECT
        'horses'::text AS source,
        count(*) AS total,
        count(*) FILTER (WHERE enrichment_status IN ('racecard', 'enriched')) AS done,
        count(*) FILTER (WHERE enrichment_status = 'not_available') AS failed,
        count(*) FILTER (WHERE enrichment_status IS NULL) AS pending,
        0::bigint AS not_in_plan,
        1::numeric AS pages_per_date
      FROM ra_horses
    ),
    sources AS (
      SELECT source, 'dates'::text AS unit, total, done, failed, pending, not_in_plan, pages_per_date FROM dates
      UNION ALL
      SELECT source, 'horses', total, done, failed, pending, not_in_plan, pages_per_date FROM horses
    ),
    buckets AS (
      SELECT
        substring(b.key FROM '^racing_api(@[^:]*)?') AS account,
        substring(b.key FROM ':(.*)$') AS endpoint,
        b.interval_ms
      FROM rate_limit_slots b
      WHERE b.key ~ '^racing_api(@[^:]+)?(:[a-z]+)?$'
        AND (b.key LIKE 'racing_api@%') = (
          SELECT l.key LIKE 'racing_api@%' FROM rate_limit_slots l
          WHERE l.key ~ '^racing_api(@[^:]+)?(:[a-z]+)?$'
          ORDER BY l.updated_at DESC NULLS LAST, l.key LIMIT 1)
    ),
    rates AS (
      SELECT
        s.source,
        coalesce(
          (SELECT sum(1000.0 / coalesce(
                    (SELECT e.interval_ms FROM buckets e
                      WHERE e.account IS NOT DISTINCT FROM a.account AND e.endpoint = s.source),
                    (SELECT w.interval_ms FROM buckets w
                      WHERE w.account IS NOT DISTINCT FROM a.account AND w.endpoint IS NULL)))
             FROM (SELECT DISTINCT account FROM buckets) a),
          2.0
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
      s.not_in_plan,
      (SELECT count(*) FROM api_requests a
        WHERE a.endpoint = s.source AND a.requested_at >= now() - interval '1 hour') AS requests_last_hour,
      ceil(s.pending * s.pages_per_date)::bigint AS requests_remaining,
      round(r.rate_per_sec::numeric, 3)::double precision AS rate_per_sec,
      make_interval(secs => ceil(s.pending * s.pages_per_date) / r.rate_per_sec) AS eta
    FROM sources s
    JOIN rates r USING (source)
    ORDER BY s.source
  );--> statement-breakpoint
CREATE VIEW "public"."v_horse_enrichment" AS (
    SELECT
      count(*) AS total_horses,
      count(*) FILTER (WHERE enrichment_status IN ('racecard', 'enriched')) AS enriched_horses,
      count(*) FILTER (WHERE enrichment_status = 'racecard') AS from_racecard,
      count(*) FILTER (WHERE enrichment_status = 'enriched') AS from_api,
      count(*) FILTER (WHERE enrichment_status IS NULL OR enrichment_status NOT IN ('racecard', 'enriched'))
        AS not_enriched,
      coalesce(round(100.0 * count(*) FILTER (WHERE enrichment_status IN ('racecard', 'enriched'))
        / nullif(count(*), 0), 2), 0) AS enrichment_pct
    FROM ra_horses
  );--> statement-breakpoint
-- ra_mst_runners.odds (one jsonb per runner) gives way to ra_runner_odds rows; the raw pages keep the
-- original and `npm run rederive` fills the new tables for dates fetched before.
ALTER TABLE "ra_mst_runners" DROP COLUMN "odds";--> statement-breakpoint
-- Hand-written: horses already loaded from pro racecards count as enriched from the racecard (their queued
-- enrich jobs then end without a call), and colour_code follows colour by the loader's rule (parse.ts colourCode).
UPDATE "ra_horses" SET "colour_code" = upper("colour") WHERE "colour_code" IS NULL AND "colour" IS NOT NULL;--> statement-breakpoint
UPDATE "ra_horses" SET "enrichment_status" = 'racecard'
  WHERE "enrichment_status" IS NULL AND ("dob" IS NOT NULL OR "colour" IS NOT NULL);
