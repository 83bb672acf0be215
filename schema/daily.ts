import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, date, index, integer, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

// The daily schedule's records (src/daily/, README "Running it every day").

// One row per re-fetch of an already loaded (source, date) that changed something: the audit of amendments
// (stewards' changes to positions, late non-runners, SP corrections). A re-fetch that changed nothing
// writes no row, so `status` counts real amendments.
export const dateAmendments = pgTable(
  'date_amendments',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    source: text('source').notNull(),
    date: date('date').notNull(),
    racesChanged: integer('races_changed').notNull(),
    runnersChanged: integer('runners_changed').notNull(),
    /** Runners no longer on the race's page (marked ra_mst_runners.removed_at). */
    runnersRemoved: integer('runners_removed').notNull(),
    /** Runners back on the page after being marked removed. */
    runnersRestored: integer('runners_restored').notNull(),
    amendedAt: timestamptz('amended_at').notNull().defaultNow(),
  },
  (t) => [
    check('date_amendments_source_check', sql`${t.source} in ('results', 'racecards')`),
    index('date_amendments_amended_at_idx').on(t.amendedAt),
    index('date_amendments_date_idx').on(t.source, t.date),
  ],
);

// api_requests rows past the retention period, summarised per UTC day, endpoint and HTTP status (NULL: no
// answer) before they are deleted (src/daily/prune.ts). raw_responses is the archive and is never pruned.
export const apiRequestsDaily = pgTable(
  'api_requests_daily',
  {
    day: date('day').notNull(),
    endpoint: text('endpoint').notNull(),
    status: integer('status'),
    requests: bigint('requests', { mode: 'number' }).notNull(),
    /** Attempts that recorded an error text. */
    errors: bigint('errors', { mode: 'number' }).notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull(),
    durationMs: bigint('duration_ms', { mode: 'number' }).notNull(),
    summarisedAt: timestamptz('summarised_at').notNull().defaultNow(),
  },
  (t) => [unique('api_requests_daily_key').on(t.day, t.endpoint, t.status).nullsNotDistinct()],
);
