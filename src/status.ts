import { allAccountStates, describeGap } from './accounts.ts';
import { kitTableSizes, type TableSize } from './daily/table-sizes.ts';
import type { Sql } from './db.ts';

/** A row of v_backfill_progress but its eta, which `npm run status` reads in seconds and the report as text. */
export interface BackfillProgressCounts {
  source: string;
  unit: string;
  total: number;
  done: number;
  failed: number;
  pending: number;
  /** Dates the plan does not include (fetch_state 'not_in_plan'): neither done nor failed. */
  notInPlan: number;
  requestsLastHour: number;
  requestsRemaining: number;
  ratePerSec: number;
}

export interface ProgressRow extends BackfillProgressCounts {
  etaSeconds: number;
}

export interface Status {
  progress: ProgressRow[];
  requestsPerSecLastMinute: number;
  statusesLastHour: Array<{ status: string; count: number }>;
  queue: Array<{ task: string; queued: number; running: number; retrying: number; failed: number }>;
  failedDates: Array<{
    source: string;
    date: string;
    httpStatus: number | null;
    error: string | null;
    path: string | null;
  }>;
  /** Accounts not 'ok' (stopped or under a 401 check) and what the plans lack (src/accounts.ts). */
  accountProblems: string[];
  /** Dates per source that the plan does not include. */
  notInPlan: Array<{ source: string; dates: number; first: string; last: string }>;
  /** Dates whose re-fetch changed something since midnight (database time zone), per source (date_amendments). */
  amendedToday: Array<{ source: string; dates: number }>;
  tableSizes: TableSize[];
}

/** One line per stopped account and per plan gap, for status, verify and the report. */
export async function readAccountProblems(sql: Sql): Promise<string[]> {
  const { accounts, gaps } = await allAccountStates(sql);
  return [
    ...accounts
      .filter((a) => a.state !== 'ok')
      .map((a) => `account ${a.accountId} ${a.state} since ${a.since.toISOString()}: ${a.message ?? ''}`),
    ...gaps.map((g) => `not in the plan: ${describeGap(g)}`),
  ];
}

/** Everything `npm run status` shows, read from the database (views, api_requests, graphile_worker.jobs). */
export async function readStatus(sql: Sql): Promise<Status> {
  const progress = await sql<ProgressRow[]>`
    select source, unit, total::int, done::int, failed::int, pending::int, not_in_plan::int as "notInPlan",
           requests_last_hour::int as "requestsLastHour", requests_remaining::int as "requestsRemaining",
           rate_per_sec::float as "ratePerSec", extract(epoch from eta)::float as "etaSeconds"
    from v_backfill_progress`;
  const [rate] = await sql<[{ n: number }]>`
    select count(*)::int as n from api_requests where requested_at >= now() - interval '1 minute'`;
  const statusesLastHour = await sql<Status['statusesLastHour']>`
    select coalesce(status::text, 'no answer') as status, count(*)::int as count
    from api_requests where requested_at >= now() - interval '1 hour'
    group by 1 order by 1`;
  const queue = await sql<Status['queue']>`
    select task_identifier as task,
           count(*) filter (where attempts = 0 and locked_at is null)::int as queued,
           count(*) filter (where locked_at is not null)::int as running,
           count(*) filter (where attempts > 0 and attempts < max_attempts and locked_at is null)::int as retrying,
           count(*) filter (where attempts >= max_attempts)::int as failed
    from graphile_worker.jobs group by 1 order by 1`;
  const failedDates = await sql<Status['failedDates']>`
    select source, to_char(date, 'YYYY-MM-DD') as date, http_status as "httpStatus", last_error as error,
           error_path as path
    from fetch_state where status = 'failed' order by date desc, source limit 20`;
  const notInPlan = await sql<Status['notInPlan']>`
    select source, count(*)::int as dates, min(date)::text as first, max(date)::text as last
    from fetch_state where status = 'not_in_plan' group by source order by source`;
  const amendedToday = await sql<Status['amendedToday']>`
    select source, count(distinct date)::int as dates from date_amendments
    where amended_at >= date_trunc('day', now()) group by source order by source`;
  return {
    accountProblems: await readAccountProblems(sql),
    notInPlan,
    amendedToday,
    tableSizes: await kitTableSizes(sql),
    progress: [...progress],
    requestsPerSecLastMinute: (rate?.n ?? 0) / 60,
    statusesLastHour,
    queue,
    failedDates,
  };
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '-';
  const s = Math.round(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** '3 dates amended today (results 2, racecards 1)', or 'no dates amended today'. */
export function describeAmendedToday(amended: Status['amendedToday']): string {
  const total = amended.reduce((n, a) => n + a.dates, 0);
  if (total === 0) return 'no dates amended today';
  const parts = amended.map((a) => `${a.source} ${a.dates}`).join(', ');
  return `${total} date${total === 1 ? '' : 's'} amended today (${parts})`;
}
