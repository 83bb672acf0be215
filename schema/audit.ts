import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
} from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

// Every HTTP attempt against The Racing API, retries included. Never holds credentials.
export const apiRequests = pgTable(
  'api_requests',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    requestedAt: timestamptz('requested_at').notNull().default(sql`clock_timestamp()`),
    endpoint: text('endpoint').notNull(),
    path: text('path').notNull(),
    query: text('query'),
    status: integer('status'),
    attempt: integer('attempt').notNull(),
    durationMs: integer('duration_ms'),
    bytes: integer('bytes'),
    error: text('error'),
    jobId: text('job_id'),
  },
  (t) => [index('api_requests_requested_at_idx').on(t.requestedAt)],
);

// The checkpoint: one row per (source, date). 'done' is written in the transaction that wrote the rows.
export const fetchState = pgTable(
  'fetch_state',
  {
    source: text('source').notNull(),
    date: date('date').notNull(),
    status: text('status').notNull().default('pending'),
    regions: text('regions').array(),
    pages: integer('pages'),
    total: integer('total'),
    races: integer('races'),
    runners: integer('runners'),
    attempts: integer('attempts').notNull().default(0),
    httpStatus: integer('http_status'),
    lastError: text('last_error'),
    errorPath: text('error_path'),
    queuedAt: timestamptz('queued_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    finishedAt: timestamptz('finished_at'),
  },
  (t) => [
    primaryKey({ name: 'fetch_state_pkey', columns: [t.source, t.date] }),
    check('fetch_state_source_check', sql`${t.source} in ('results', 'racecards')`),
    check(
      'fetch_state_status_check',
      sql`${t.status} in ('pending', 'done', 'failed', 'outside_window', 'not_in_plan')`,
    ),
    index('fetch_state_status_idx').on(t.source, t.status),
  ],
);

// Raw API responses, so data can be re-derived without fetching again: the body as the exact text the API
// sent (query it with body::jsonb). Invalid responses are kept too, with the validation error beside them.
export const rawResponses = pgTable(
  'raw_responses',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    endpoint: text('endpoint').notNull(),
    requestKey: text('request_key').notNull(),
    date: date('date'),
    page: integer('page'),
    status: integer('status').notNull(),
    body: text('body'),
    valid: boolean('valid').notNull(),
    validationError: text('validation_error'),
    fetchedAt: timestamptz('fetched_at').notNull().defaultNow(),
  },
  (t) => [
    unique('raw_responses_endpoint_key').on(t.endpoint, t.requestKey),
    index('raw_responses_date_idx').on(t.date),
  ],
);

// The account-wide rate limit: one row per bucket. next_slot (advanced atomically by every attempt) paces
// the callers; recent_sends holds, for each recent request, a time no earlier than when it left (a future
// bound while it is in flight, its socket-write time once sent): at most window_limit of them within any
// window_ms, checked under the row lock before each send (src/rate-limit.ts).
export const rateLimitSlots = pgTable('rate_limit_slots', {
  key: text('key').primaryKey(),
  nextSlot: timestamptz('next_slot').notNull().default(sql`clock_timestamp()`),
  /** Spacing of the slots in ms: 1000 / interval_ms is the paced rate (read by v_backfill_progress). */
  intervalMs: doublePrecision('interval_ms').notNull(),
  /** Upper bounds of the send times of the last window_ms, oldest first (database clock). */
  recentSends: timestamptz('recent_sends').array().notNull().default(sql`'{}'`),
  /** The budget: at most window_limit sends within any window_ms. Null until a send has been confirmed. */
  windowLimit: integer('window_limit'),
  windowMs: doublePrecision('window_ms'),
  /** After a 429 no send is confirmed before this time, whatever slot its caller holds. */
  pausedUntil: timestamptz('paused_until'),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

// One row per ladder backfill run (dry or real), updated as each batch commits.
export const ladderBackfillRuns = pgTable('ladder_backfill_runs', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  jobId: text('job_id'),
  dryRun: boolean('dry_run').notNull(),
  params: jsonb('params').notNull(),
  status: text('status').notNull().default('running'),
  scanned: bigint('scanned', { mode: 'number' }).notNull().default(0),
  derivedRowsCreated: bigint('derived_rows_created', { mode: 'number' }).notNull().default(0),
  updatedByColumn: jsonb('updated_by_column').notNull().default({}),
  skippedByReason: jsonb('skipped_by_reason').notNull().default({}),
  errors: bigint('errors', { mode: 'number' }).notNull().default(0),
  lastError: text('last_error'),
  lastSnapshotId: bigint('last_snapshot_id', { mode: 'number' }),
  startedAt: timestamptz('started_at').notNull().defaultNow(),
  finishedAt: timestamptz('finished_at'),
});

// Terminal job errors the user must see: payloads that fail validation (bad date, end before start, unknown
// region) and terminal API answers of jobs that have no per-date fetch_state row (enrich_horse). Jobs
// recording here end successfully, so graphile-worker keeps no trace of them.
export const jobErrors = pgTable(
  'job_errors',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    taskIdentifier: text('task_identifier').notNull(),
    jobId: text('job_id'),
    jobKey: text('job_key'),
    payload: jsonb('payload'),
    kind: text('kind').notNull(),
    error: text('error').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    check('job_errors_kind_check', sql`${t.kind} in ('invalid_payload', 'api_error', 'invalid_response')`),
    index('job_errors_created_at_idx').on(t.createdAt),
  ],
);
