CREATE TABLE "api_accounts" (
	"account_id" text PRIMARY KEY NOT NULL,
	"state" text DEFAULT 'ok' NOT NULL,
	"since" timestamp with time zone DEFAULT now() NOT NULL,
	"message" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_accounts_state_check" CHECK ("api_accounts"."state" in ('ok', 'checking', 'unauthorized'))
);
--> statement-breakpoint
CREATE TABLE "api_plan_gaps" (
	"account_id" text NOT NULL,
	"source" text NOT NULL,
	"first_date" date,
	"last_date" date,
	"reason" text NOT NULL,
	"message" text,
	"found_by" text NOT NULL,
	"found_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_plan_gaps_pkey" PRIMARY KEY("account_id","source")
);
--> statement-breakpoint
ALTER TABLE "fetch_state" DROP CONSTRAINT "fetch_state_status_check";--> statement-breakpoint
ALTER TABLE "fetch_state" ADD CONSTRAINT "fetch_state_status_check" CHECK ("fetch_state"."status" in ('pending', 'done', 'failed', 'outside_window', 'not_in_plan'));