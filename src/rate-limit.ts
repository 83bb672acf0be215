// The account-wide rate limit of The Racing API, kept in PostgreSQL so that every worker process on every
// machine draws from one budget (the limit belongs to the account, not to a process). The requirement: no
// 1-second window ever holds more requests than the budget, counted on the times requests actually leave.
//
// Two steps per request, one autocommit statement each, never a transaction held while waiting:
//
// 1. Pacing (rate_limit_slots.next_slot). One upsert hands the caller greatest(next_slot, now) and moves
//    next_slot one interval on; the caller sleeps until its slot. This spreads the callers of all workers
//    out so they do not all rush the check below at once. It guarantees nothing by itself: a caller whose
//    timer fires late (busy CPU, blocked event loop) would bunch with the callers after it.
// 2. Confirmation (rate_limit_slots.recent_sends), right before the send. Under the bucket row's lock, it
//    admits the send only if fewer than window_limit sends of the bucket were confirmed within the last
//    window_ms, and records this one at clock_timestamp() (taken once the lock is held, so the log is in
//    lock order and sorted). Otherwise it returns how long until the oldest send in the window expires, and
//    the caller sleeps and asks again. So a late caller delays itself, not the budget: whatever the timers
//    do, no window_ms window of confirmed sends holds more than window_limit of them.
//
// What remains between the database and the API is the time from the confirmation to the request reaching
// the API (the statement's commit and answer, the event loop, the network). Two allowances cover it:
// - window_ms is 1000 x (1 + margin / 2): confirmed sends window_limit apart are at least 1000 ms plus
//   margin x 500 ms apart (10 ms at the default 2%), which the API still sees as under the limit as long as
//   each request reaches it within that much of its confirmation;
// - a confirmation whose round trip took longer than half of that slack (the event loop was blocked while
//   its answer waited, or the lock queue was long) is not trusted: the caller re-stamps it (replaces its
//   entry by a fresh one, window checked again) before sending. Its entry can only have been recorded
//   after the statement was issued, so the send leaves at most that long after its recorded time.
// The pacing interval is 1000 / rate x (1 + margin), a bit wider than window_ms / window_limit, so that a
// caller on time rarely finds the window still full because the caller one budget earlier was a few ms
// late: the other half of the margin absorbs that jitter. The margin thus costs margin of the budget (98%
// at the default 2%); the guarantee does not depend on it, only the transport allowance does.
//
// Budgets are whole requests per second: a rate of 20 allows 20 sends in any window; a fractional rate
// above 1 is rounded down (2.5 -> 2 per second), and a rate below 1 allows 1 send per 1000 / rate ms.
// All times are the database's clock, so clock skew between machines does not matter.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  accountsOf,
  CONFIG_DEFAULTS,
  type Endpoint,
  type RacingApiAccount,
  type RacingApiConfig,
} from './config.ts';
import type { Sql } from './db.ts';

export interface RateBucket {
  /** 'racing_api' (the shared account bucket) or 'racing_api:<endpoint>' when that endpoint has its own rate. */
  key: string;
  /** The API's budget in requests per second (no margin): the rate the bucket is derived from. */
  ratePerSec: number;
  /** Fraction of the budget given up as timing allowance (see above); default CONFIG_DEFAULTS.rateSafetyMargin. */
  safetyMargin?: number;
  /** A caller whose slot would be further away than this gets RateLimitBacklogError instead (no slot is used). */
  maxWaitMs?: number;
}

/** What the database enforces for a bucket, in ms on its clock. */
export interface BucketLimits {
  /** At most this many confirmed sends... */
  windowLimit: number;
  /** ...within any window this long. */
  windowMs: number;
  /** Spacing of the pacing slots. */
  intervalMs: number;
  /** A confirmation that comes back longer than this after its stamp is re-stamped before the send. */
  maxSendDelayMs: number;
}

export const SHARED_BUCKET_KEY = 'racing_api';

/**
 * Thrown by acquireSlot when the request cannot be sent within bounds: the queue of slots is longer than
 * maxWaitMs, or the confirmations keep coming back too late to be trusted. Reschedule the job.
 */
export class RateLimitBacklogError extends Error {
  readonly waitMs: number;
  constructor(message: string, waitMs: number) {
    super(message);
    this.name = 'RateLimitBacklogError';
    this.waitMs = waitMs;
  }
}

/** The bucket an endpoint draws from: its own when an endpoint rate is configured, else the account's. */
export function bucketFor(config: RacingApiConfig, endpoint: Endpoint): RateBucket {
  const own = config.endpointRates[endpoint];
  const rate = own ?? config.ratePerSec;
  if (!(rate > 0)) throw new Error(`rate for ${endpoint} must be above 0 requests per second, not ${rate}`);
  return {
    key: own === undefined ? SHARED_BUCKET_KEY : `${SHARED_BUCKET_KEY}:${endpoint}`,
    ratePerSec: rate,
    safetyMargin: config.rateSafetyMargin ?? CONFIG_DEFAULTS.rateSafetyMargin,
    maxWaitMs: config.maxSlotWaitMs ?? CONFIG_DEFAULTS.maxSlotWaitMs,
  };
}

export function bucketLimits(bucket: RateBucket): BucketLimits {
  const rate = bucket.ratePerSec;
  if (!(rate > 0)) throw new Error(`rate of ${bucket.key} must be above 0 requests per second, not ${rate}`);
  const margin = bucket.safetyMargin ?? CONFIG_DEFAULTS.rateSafetyMargin;
  const windowLimit = rate >= 1 ? Math.floor(rate) : 1;
  const spanMs = rate >= 1 ? 1000 : 1000 / rate; // windowLimit requests per spanMs is the budget
  const slackMs = (spanMs * margin) / 2;
  return {
    windowLimit,
    windowMs: spanMs + slackMs,
    intervalMs: (spanMs * (1 + margin)) / windowLimit,
    // Half the transport allowance; at least 1 ms so that a zero margin cannot re-stamp for ever.
    maxSendDelayMs: Math.max(1, slackMs / 2),
  };
}

// Consecutive confirmations that came back too late before acquireSlot gives up (the process is starved).
const MAX_RESTAMPS = 10;

export interface AcquireOptions {
  /** Runs between the slot's wait and the confirmation: lets tests stand in for a caller woken late. */
  beforeConfirm?: () => Promise<void>;
  /** This process may still be starting up (a worker): see startupAllowanceMs. */
  startingProcess?: boolean;
}

/**
 * Resolves when this caller may send one request of the bucket, right now: its slot has come and its send
 * is confirmed in the bucket's window. The value is the confirmed send time (ms since the epoch, database
 * clock). Aborting the signal rejects with its reason.
 */
export async function acquireSlot(
  sql: Sql,
  bucket: RateBucket,
  signal?: AbortSignal,
  options: AcquireOptions = {},
): Promise<number> {
  const limits = bucketLimits(bucket);
  for (;;) {
    signal?.throwIfAborted();
    const waitMs = await takeSlot(sql, bucket, limits);
    if (waitMs > 0) await abortableSleep(waitMs, signal);
    await options.beforeConfirm?.();
    const extraMs = options.startingProcess ? startupAllowanceMs() : 0;
    const sentAtMs = await confirmWhenFree(sql, bucket, limits, extraMs, signal);
    if (sentAtMs !== undefined) return sentAtMs;
    // Paused by a 429 (or the row was deleted) since the slot was taken: queue again behind the pause.
  }
}

/** Confirms the send (its time), waiting for the window as needed; undefined when paused: take a new slot. */
async function confirmWhenFree(
  sql: Sql,
  bucket: RateBucket,
  limits: BucketLimits,
  extraMs: number,
  signal?: AbortSignal,
): Promise<number | undefined> {
  let replacing: string | null = null;
  for (let restamps = 0; ; ) {
    signal?.throwIfAborted();
    const issued = performance.now();
    const verdict = await confirmSend(sql, bucket, limits, replacing, extraMs);
    if (verdict.kind === 'paused') return undefined;
    if (verdict.kind === 'full') {
      replacing = null; // the statement dropped it
      await abortableSleep(verdict.waitMs, signal);
      continue;
    }
    const sinceStampMs = sinceStamp(sql, issued, verdict);
    if (sinceStampMs <= limits.maxSendDelayMs) return verdict.sentAtMs;
    // The answer arrived too long after the send was recorded: sending now could bunch with the send one
    // budget later. Re-stamp instead (bounded: a process this starved gives the job back).
    replacing = verdict.entry;
    if (++restamps >= MAX_RESTAMPS) {
      throw new RateLimitBacklogError(
        `rate-limit confirmations on ${bucket.key} came back more than ${limits.maxSendDelayMs} ms after their stamp ${MAX_RESTAMPS} times in a row (last ${Math.round(sinceStampMs)} ms): the process or the database is too busy to send on time`,
        0,
      );
    }
  }
}

/**
 * How long ago (at most) the database stamped this send, in ms. Two upper bounds, the smaller wins:
 * - the round trip minus the statement's wait for the row lock (the stamp came after both the issue of
 *   the statement and that wait);
 * - this process's clock against the stamp, through the offset between the clocks: every confirmation
 *   brackets its stamp between its issue and its answer, so local - database >= issue - stamp, and the
 *   largest such bound of the last seconds is kept per client. This one leaves out the time a statement
 *   queued behind others on its connection, which is not lateness of the send.
 */
function sinceStamp(sql: Sql, issued: number, verdict: { sentAtMs: number; lockWaitMs: number }): number {
  const answered = performance.now();
  const origin = performance.timeOrigin;
  const sample = { at: answered, low: origin + issued - verdict.sentAtMs };
  const recent = (clockSamples.get(sql) ?? []).filter((x) => answered - x.at < CLOCK_SAMPLE_MS);
  recent.push(sample);
  clockSamples.set(sql, recent.slice(-64));
  const offsetLow = Math.max(...recent.map((x) => x.low));
  const byClock = origin + answered - (verdict.sentAtMs + offsetLow);
  return Math.min(answered - issued - verdict.lockWaitMs, byClock);
}

// Lower bounds of (this process's clock - the database's clock) from recent confirmations, per client.
// Only the last seconds count, so that a drift between the clocks cannot build up.
const clockSamples = new WeakMap<Sql, { at: number; low: number }[]>();
const CLOCK_SAMPLE_MS = 30_000;

/**
 * A worker process that has just started reaches the API late for its first seconds, whatever the checks
 * above (measured: 20-75 ms after the confirmation with 4 worker processes booting on 2 busy cores, against
 * 2-7 ms later on): compiling and warming code competes for the CPU. Its sends then go into the log as this
 * much later than their stamp, about the latest time they reach the API, so that the sends after them keep
 * their distance. It costs some budget in those seconds only (entries 8% longer in the window).
 */
function startupAllowanceMs(): number {
  const now = performance.now();
  firstConfirmAt ??= now;
  return now - firstConfirmAt < STARTUP_PERIOD_MS ? STARTUP_ALLOWANCE_MS : 0;
}
let firstConfirmAt: number | undefined;
const STARTUP_PERIOD_MS = 3_000;
const STARTUP_ALLOWANCE_MS = 80;

export type Verdict =
  /** lockWaitMs: how long the statement ran before the send was stamped (waiting for the row lock). */
  | { kind: 'sent'; entry: string; sentAtMs: number; lockWaitMs: number }
  | { kind: 'full'; waitMs: number }
  | { kind: 'paused' };

/**
 * (Exported for the tests.) One autocommit statement under the bucket row's lock: admits and records the
 * send if the window has room and the bucket is not paused, else says how long until it has room. The log
 * entry is the stamp plus extraMs (the latest time the request may reach the API, see coldAllowanceMs);
 * the window counts entries after now - window_ms. `replacing` (an entry this caller recorded before) is
 * taken out of the log first.
 */
export async function confirmSend(
  sql: Sql,
  bucket: RateBucket,
  limits: BucketLimits,
  replacing: string | null,
  extraMs = 0,
): Promise<Verdict> {
  const { windowLimit, windowMs } = limits;
  // `locked` takes the row lock and reads its latest version (SELECT ... FOR UPDATE waits for a concurrent
  // confirmation to commit, then returns the row as that one left it); `now` is read after the lock is
  // held. The UPDATE writes values computed from that locked version only, so concurrent confirmations
  // are serialised and none is lost (the concurrent-caller test checks the count).
  // The commit is asynchronous (no WAL flush while the row lock is held and the caller waits): a lost
  // record after a database crash only forgets sends of the last moment, which is harmless here.
  // `replacing` goes in as text: postgres.js would round a timestamptz parameter to the millisecond.
  const rows = await sql<
    {
      admitted: boolean;
      paused: boolean;
      entry: string;
      sent_at_ms: number;
      waited_ms: number;
      wait_ms: number;
    }[]
  >`
    with locked as materialized (
      select recent_sends, paused_until from rate_limit_slots where key = ${bucket.key} for update
    ), stamped as materialized (
      select clock_timestamp() as now, statement_timestamp() as started, recent_sends, paused_until,
             set_config('synchronous_commit', 'off', true) as async_commit
      from locked
    ), log as (
      select now, started, paused_until is not null and paused_until > now as paused,
             array(select t from unnest(recent_sends) t
                   where t > now - make_interval(secs => ${windowMs}::float8 / 1000)
                     and t is distinct from ${replacing}::text::timestamptz
                   order by t) as sends
      from stamped
    ), verdict as (
      select now, started, paused, sends, not paused and cardinality(sends) < ${windowLimit}::int as admitted,
             now + make_interval(secs => ${extraMs}::float8 / 1000) as entry
      from log
    )
    update rate_limit_slots s set
      recent_sends = case when v.admitted then v.sends || v.entry else v.sends end,
      window_limit = ${windowLimit}::int,
      window_ms = ${windowMs}::float8,
      updated_at = v.now
    from verdict v
    where s.key = ${bucket.key}
    returning v.admitted, v.paused, v.entry::text as entry, (extract(epoch from v.now) * 1000)::float8 as sent_at_ms,
      (extract(epoch from v.now - v.started) * 1000)::float8 as waited_ms,
      case when v.admitted or v.paused then 0
           else greatest(0, extract(epoch from (
                  v.sends[cardinality(v.sends) - ${windowLimit}::int + 1]
                  + make_interval(secs => ${windowMs}::float8 / 1000) - v.now)) * 1000)
      end::float8 as wait_ms`;
  const row = rows[0];
  if (!row || row.paused) return { kind: 'paused' };
  if (row.admitted) {
    return { kind: 'sent', entry: row.entry, sentAtMs: row.sent_at_ms, lockWaitMs: row.waited_ms };
  }
  return { kind: 'full', waitMs: row.wait_ms };
}

/** One autocommit upsert: the caller's slot as a wait in ms from now (database clock). */
async function takeSlot(sql: Sql, bucket: RateBucket, limits: BucketLimits): Promise<number> {
  const interval = limits.intervalMs;
  const maxWait = bucket.maxWaitMs ?? Number.POSITIVE_INFINITY;
  // The WHERE refuses (no row returned, nothing changed) when the backlog exceeds maxWait.
  // Infinity is passed as NULL: no limit.
  // Asynchronous commit as in confirmSend: the row lock is not held through a WAL flush.
  const rows = await sql<{ wait_ms: number }[]>`
    insert into rate_limit_slots as s (key, next_slot, interval_ms, updated_at)
    select ${bucket.key}, clock_timestamp() + make_interval(secs => ${interval}::float8 / 1000), ${interval}, clock_timestamp()
    from (select set_config('synchronous_commit', 'off', true) as async_commit) c
    where c.async_commit = 'off'
    on conflict (key) do update set
      next_slot = greatest(s.next_slot, clock_timestamp()) + make_interval(secs => ${interval}::float8 / 1000),
      interval_ms = excluded.interval_ms,
      updated_at = clock_timestamp()
    where ${Number.isFinite(maxWait) ? maxWait : null}::float8 is null
       or s.next_slot <= clock_timestamp() + make_interval(secs => ${Number.isFinite(maxWait) ? maxWait : 0}::float8 / 1000)
    returning greatest(0, extract(epoch from (next_slot - make_interval(secs => interval_ms / 1000) - clock_timestamp())) * 1000)::float8 as wait_ms`;
  const row = rows[0];
  if (!row) {
    const [state] = await sql<{ wait_ms: number }[]>`
      select greatest(0, extract(epoch from (next_slot - clock_timestamp())) * 1000)::float8 as wait_ms
      from rate_limit_slots where key = ${bucket.key}`;
    const waitMs = state?.wait_ms ?? maxWait;
    throw new RateLimitBacklogError(
      `rate-limit backlog on ${bucket.key} is ${Math.ceil(waitMs / 1000)} s, more than the ${Math.round(maxWait / 1000)} s allowed`,
      waitMs,
    );
  }
  return row.wait_ms;
}

/** Sleeps, rejecting with the signal's own reason (not a generic AbortError) when it is aborted. */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(Math.ceil(ms), undefined, signal ? { signal } : undefined);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}

/**
 * After a 429: no send of this bucket is confirmed before now + delayMs, for every worker on the account.
 * Callers already holding a slot are turned back at their confirmation and queue again behind the pause,
 * so they stay spaced by the interval instead of all leaving when it ends.
 */
export async function pushBack(sql: Sql, bucket: RateBucket, delayMs: number): Promise<void> {
  const delay = Math.max(0, delayMs);
  const { intervalMs } = bucketLimits(bucket);
  await sql`
    insert into rate_limit_slots as s (key, next_slot, interval_ms, paused_until, updated_at)
    values (${bucket.key}, clock_timestamp() + make_interval(secs => ${delay}::float8 / 1000), ${intervalMs},
            clock_timestamp() + make_interval(secs => ${delay}::float8 / 1000), clock_timestamp())
    on conflict (key) do update set
      next_slot = greatest(s.next_slot, excluded.next_slot),
      paused_until = greatest(s.paused_until, excluded.paused_until),
      updated_at = clock_timestamp()`;
}

/**
 * The bucket of one account's endpoint. With one account configured, the keys of bucketFor (a single account
 * needs no new setting and keeps its bucket rows); with several, each account has its own:
 * 'racing_api@<account id>' and 'racing_api@<account id>:<endpoint>'.
 */
export function bucketForAccount(
  config: RacingApiConfig,
  account: RacingApiAccount,
  endpoint: Endpoint,
): RateBucket {
  const accountConfig = { ...config, ratePerSec: account.ratePerSec, endpointRates: account.endpointRates };
  const bucket = bucketFor(accountConfig, endpoint);
  if (accountsOf(config).length <= 1) return bucket;
  const own = account.endpointRates[endpoint] !== undefined;
  return { ...bucket, key: `${SHARED_BUCKET_KEY}@${account.id}${own ? `:${endpoint}` : ''}` };
}

/** When each bucket's next slot is free, in ms from now (0: free now, also for a bucket never used). */
export async function slotWaits(sql: Sql, keys: readonly string[]): Promise<Map<string, number>> {
  const rows = await sql<{ key: string; wait_ms: number }[]>`
    select k.key, coalesce(greatest(0, extract(epoch from (
             greatest(s.next_slot, coalesce(s.paused_until, s.next_slot)) - clock_timestamp())) * 1000), 0)::float8 as wait_ms
    from unnest(${keys as string[]}::text[]) as k(key) left join rate_limit_slots s on s.key = k.key`;
  return new Map(rows.map((r) => [r.key, r.wait_ms]));
}
