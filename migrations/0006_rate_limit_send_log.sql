ALTER TABLE "rate_limit_slots" ADD COLUMN "recent_sends" timestamp with time zone[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "rate_limit_slots" ADD COLUMN "window_limit" integer;--> statement-breakpoint
ALTER TABLE "rate_limit_slots" ADD COLUMN "window_ms" double precision;--> statement-breakpoint
ALTER TABLE "rate_limit_slots" ADD COLUMN "paused_until" timestamp with time zone;