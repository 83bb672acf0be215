// Account-level state of The Racing API, shared by every worker through PostgreSQL (api_accounts,
// api_plan_gaps): which accounts are stopped (bad credentials) and what each account's plan does not include.
// A 401 is about the account, not the date (reference: racing-api.md §1): bad credentials and a request
// above the plan answer the same, so the first 401 is followed by one probe of a recent results date (which
// every paid plan answers) by the one worker that claims the check; the others wait meanwhile.

import type { Db } from './db.ts';
import { addDays } from './racing/dates.ts';

export type AccountState = 'ok' | 'checking' | 'unauthorized';

export type GapSource = 'results' | 'racecards' | 'horses';

export interface PlanGap {
  accountId: string;
  source: GapSource;
  /** Null: open (from the beginning). */
  firstDate: string | null;
  /** Null: open (to the end). */
  lastDate: string | null;
  reason: string;
  message: string | null;
  foundBy: 'doctor' | 'worker';
}

/**
 * Thrown instead of sending a request while every account that could send it is stopped (or being checked).
 * Not a failure of the job: src/task.ts reschedules the job without using an attempt.
 */
export class AccountStoppedError extends Error {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs = ACCOUNT_RECHECK_MS) {
    super(message);
    this.name = 'AccountStoppedError';
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * How long a job waits for a stopped account before it looks again. New credentials (a worker's start check,
 * `npm run doctor`) clear the stop and make every waiting job due at once (resumeWaitingJobs), so this is
 * only a safety net: long, so that thousands of waiting dates do not cycle through the queue every minute.
 */
export const ACCOUNT_RECHECK_MS = 15 * 60_000;

/** The wait while another caller's 401 probe is in flight: its verdict comes within seconds. */
export const ACCOUNT_CHECKING_RETRY_MS = 10_000;

export const ADD_ON_REASON = 'results older than 12 months need the historical results add-on (Pro plan)';

export function endpointReason(source: GapSource): string {
  return source === 'results'
    ? 'the plan does not include /v1/results (Standard plan or above)'
    : `the plan does not include ${source === 'racecards' ? '/v1/racecards/pro' : '/v1/horses/{horse_id}/pro'} (Pro plan)`;
}

/** The last results date a plan without the add-on refuses: the day before the same calendar day a year ago. */
export function lastDateBeforeResultsWindow(today: string): string {
  const year = String(Number(today.slice(0, 4)) - 1).padStart(4, '0');
  let start = `${year}${today.slice(4)}`;
  if (start.endsWith('-02-29')) start = `${year}-02-28`;
  return addDays(start, -1);
}

/** A recent date every paid plan answers results for: the probe of a 401. */
export function probeDate(today: string): string {
  return addDays(today, -2);
}

export function gapCovers(gap: Pick<PlanGap, 'firstDate' | 'lastDate'>, date: string | undefined): boolean {
  if (date === undefined) return gap.firstDate === null && gap.lastDate === null;
  return (gap.firstDate === null || date >= gap.firstDate) && (gap.lastDate === null || date <= gap.lastDate);
}

export interface AccountView {
  state: AccountState;
  since: Date | null;
  message: string | null;
  gaps: PlanGap[];
}

/** State and plan gaps of these accounts (absent rows: ok, nothing missing). One statement. */
export async function accountViews(db: Db, ids: readonly string[]): Promise<Map<string, AccountView>> {
  const rows = await db<
    {
      id: string;
      state: AccountState | null;
      since: Date | null;
      message: string | null;
      gaps: PlanGap[] | null;
    }[]
  >`
    select i.id, a.state, a.since, a.message,
      (select json_agg(json_build_object('accountId', g.account_id, 'source', g.source,
                'firstDate', g.first_date, 'lastDate', g.last_date, 'reason', g.reason, 'message', g.message,
                'foundBy', g.found_by))
         from api_plan_gaps g where g.account_id = i.id) as gaps
    from unnest(${ids as string[]}::text[]) as i(id)
    left join api_accounts a on a.account_id = i.id`;
  return new Map(
    rows.map((r) => [
      r.id,
      { state: r.state ?? 'ok', since: r.since, message: r.message, gaps: r.gaps ?? [] },
    ]),
  );
}

/** Claims the 401 check of an account: true for the one caller that moved it from ok to checking. */
export async function claimCheck(db: Db, accountId: string, message: string): Promise<boolean> {
  const rows = await db`
    insert into api_accounts as a (account_id, state, since, message)
    values (${accountId}, 'checking', now(), ${message})
    on conflict (account_id) do update set state = 'checking', since = now(), message = excluded.message,
      updated_at = now()
    where a.state = 'ok'
    returning 1`;
  return rows.length > 0;
}

export async function markUnauthorized(db: Db, accountId: string, message: string): Promise<void> {
  await db`
    insert into api_accounts as a (account_id, state, since, message)
    values (${accountId}, 'unauthorized', now(), ${message})
    on conflict (account_id) do update set state = 'unauthorized', message = excluded.message, updated_at = now(),
      since = case when a.state = 'unauthorized' then a.since else now() end`;
}

/** The credentials answered: clears a stop, and the jobs that waited for it are due again at once. */
export async function markOk(db: Db, accountId: string): Promise<void> {
  const cleared = await db`
    with previous as (select state from api_accounts where account_id = ${accountId})
    insert into api_accounts as a (account_id, state, since, message) values (${accountId}, 'ok', now(), null)
    on conflict (account_id) do update set state = 'ok', message = null, updated_at = now(),
      since = case when a.state = 'ok' then a.since else now() end
    returning (select state from previous) as previous`;
  const previous = cleared[0]?.previous as AccountState | null | undefined;
  if (previous && previous !== 'ok') await resumeWaitingJobs(db);
}

/** The flag on a job put back by src/task.ts while every account was stopped. */
export const WAITS_FOR_ACCOUNT_FLAG = 'waits_for_account';

async function resumeWaitingJobs(db: Db): Promise<void> {
  await db`
    select graphile_worker.reschedule_jobs(
      array(select id from graphile_worker.jobs
            where flags ? ${WAITS_FOR_ACCOUNT_FLAG} and locked_at is null and run_at > now()),
      run_at := now())`;
}

export async function recordPlanGap(db: Db, gap: PlanGap): Promise<void> {
  await db`
    insert into api_plan_gaps (account_id, source, first_date, last_date, reason, message, found_by)
    values (${gap.accountId}, ${gap.source}, ${gap.firstDate}, ${gap.lastDate}, ${gap.reason}, ${gap.message},
            ${gap.foundBy})
    on conflict (account_id, source) do update set first_date = excluded.first_date,
      last_date = excluded.last_date, reason = excluded.reason, message = excluded.message,
      found_by = excluded.found_by, found_at = now()`;
}

export async function clearPlanGap(db: Db, accountId: string, source: GapSource): Promise<void> {
  await db`delete from api_plan_gaps where account_id = ${accountId} and source = ${source}`;
}

/** Every account row and gap, for status, verify, the report and backfill's warning. */
export async function allAccountStates(db: Db): Promise<{
  accounts: { accountId: string; state: AccountState; since: Date; message: string | null }[];
  gaps: PlanGap[];
}> {
  const accounts = await db<
    { accountId: string; state: AccountState; since: Date; message: string | null }[]
  >`
    select account_id as "accountId", state, since, message from api_accounts order by account_id`;
  const gaps = await db<PlanGap[]>`
    select account_id as "accountId", source, first_date::text as "firstDate", last_date::text as "lastDate",
           reason, message, found_by as "foundBy"
    from api_plan_gaps order by account_id, source`;
  return { accounts, gaps };
}

/** One line per gap, e.g. "results up to 2025-12-01 (account acct_1234abcd): results older than ...". */
export function describeGap(gap: PlanGap): string {
  const range =
    gap.firstDate === null && gap.lastDate === null
      ? 'all dates'
      : `${gap.firstDate ?? 'the beginning'} to ${gap.lastDate ?? 'the end'}`;
  return `${gap.source} ${range} (account ${gap.accountId}): ${gap.reason}`;
}
