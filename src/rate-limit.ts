// The account-wide rate limit of The Racing API, kept in PostgreSQL so that every worker process on every
// machine draws from one budget (the limit belongs to the account, not to a process). The requirement: no
// 1-second window, as the API receives requests, ever holds more than the budget, however late this
// process's event loop or timers run.
//
// The log (rate_limit_slots.recent_sends) holds, for every send of the last window, an UPPER BOUND of the
// time it left this machine. A send is admitted only if fewer than window_limit entries lie after
// now - window_ms. That is enough: take any window_limit + 1 sends that the API saw within one second and
// the one among them admitted last, at stamp S. It leaves after S, so each of the others left less than a
// second before S at the earliest, and its entry (an upper bound) lies after S - 1000 ms: all were counted,
// and the last one was not admitted. Lateness anywhere (a timer, a blocked event loop, a process put off
// the CPU between admission and send) only delays a send, never makes an entry too early.
//
// Three autocommit statements per request, never a transaction held while waiting:
// 1. Pacing (rate_limit_slots.next_slot). One upsert hands the caller greatest(next_slot, now) and moves
//    next_slot one interval on; the caller sleeps until its slot. This spreads the callers of all workers
//    out so that they do not all rush the admission at once; it guarantees nothing by itself.
// 2. Admission, under the bucket row's lock (the window check above). The entry is recorded as the stamp
//    plus sendWithinMs: the latest time the request can leave (the caller gives up on a send that has not
//    left by then), so the entry is an upper bound even if the process dies before step 3.
// 3. Confirmation, right after the request has been handed to the socket (undici's request:bodySent
//    diagnostics event, tied to this send through AsyncLocalStorage): the entry is replaced by the least of
//    the database's clock at that statement and the local send time on the database clock (bounded through
//    the offset of the clocks seen by earlier admissions). Without the event (another HTTP client), the
//    time the send settled is used: later, still an upper bound.
//
// window_ms is 1000 x (1 + margin / 2): the half margin covers what the kit cannot see, jitter of the
// network between this machine and the API. The pacing interval, 1000 / rate x (1 + margin), leaves the
// other half for the callers' own jitter, so that a caller on time rarely finds the window still full.
// The margin thus costs margin of the budget (98% at the default 2%); the bound above does not depend on it.
//
// Budgets are whole requests per second: a rate of 20 allows 20 sends in any window; a fractional rate
// above 1 is rounded down (2.5 -> 2 per second), and a rate below 1 allows 1 send per 1000 / rate ms.
// All times are the database's clock, so clock skew between machines does not matter.
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
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
  /** At most this many sends... */
  windowLimit: number;
  /** ...within any window this long. */
  windowMs: number;
  /** Spacing of the pacing slots. */
  intervalMs: number;
}

export const SHARED_BUCKET_KEY = 'racing_api';

/** Thrown by acquireSlot when the queue of slots is longer than maxWaitMs. Reschedule the job. */
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
  return {
    windowLimit,
    windowMs: spanMs * (1 + margin / 2),
    intervalMs: (spanMs * (1 + margin)) / windowLimit,
  };
}

export interface SendOptions {
  signal?: AbortSignal;
  /**
   * The send gives up (its own timeout) if the request has not left within this long of being called:
   * the admission's entry is stamp + this + a second, the latest time the request can leave.
   */
  sendWithinMs?: number;
  /** Runs between the slot's wait and the admission: lets tests stand in for a caller woken late. */
  beforeAdmit?: () => Promise<void>;
}

const DEFAULT_SEND_WITHIN_MS = 60_000;
// An admission older than this (local clock) when its send is about to start is taken again: the entry's
// bound assumes the send starts within this long.
const START_WITHIN_MS = 1_000;

/** What one admitted send did: its value, and the send time recorded for it (ms since the epoch, database clock). */
export interface SentWithSlot<T> {
  value: T;
  sentAtMs: number;
}

/**
 * Waits for this caller's slot, admits the send in the bucket's window, runs `send` (which must make at
 * most one request, through fetch/undici for the tightest record) and records when the request left.
 * Aborting the signal rejects with its reason. `send`'s own errors are passed on once the send is recorded.
 */
export async function sendWithSlot<T>(
  sql: Sql,
  bucket: RateBucket,
  send: () => Promise<T>,
  options: SendOptions = {},
): Promise<SentWithSlot<T>> {
  const { signal } = options;
  const limits = bucketLimits(bucket);
  const pendingMs = (options.sendWithinMs ?? DEFAULT_SEND_WITHIN_MS) + START_WITHIN_MS;
  let admission: Admitted | undefined;
  while (!admission) {
    signal?.throwIfAborted();
    const waitMs = await takeSlot(sql, bucket, limits);
    if (waitMs > 0) await abortableSleep(waitMs, signal);
    await options.beforeAdmit?.();
    admission = await admitWhenFree(sql, bucket, limits, pendingMs, signal);
    // undefined: paused by a 429 (or the row was deleted) since the slot was taken; queue behind the pause.
  }
  const admitted = admission;
  const tracked: TrackedSend = {};
  let confirmed: Promise<number> | undefined;
  const confirmOnce = () => {
    confirmed ??= confirmSent(sql, bucket, admitted.entry, tracked.writtenAt);
    return confirmed;
  };
  tracked.onWritten = () => void confirmOnce().catch(() => {});
  let value: T;
  try {
    value = await sendContext.run(tracked, send);
  } finally {
    // Whether or not the request left, the entry becomes a send time (an upper bound of it).
    tracked.onWritten = undefined;
    await confirmOnce();
  }
  return { value, sentAtMs: await confirmOnce() };
}

/**
 * Resolves when this caller may send one request of the bucket, right now, and records the send as made
 * at once: for callers that send nothing through undici (tests). The value is the recorded send time.
 */
export async function acquireSlot(
  sql: Sql,
  bucket: RateBucket,
  signal?: AbortSignal,
  options: Omit<SendOptions, 'signal'> = {},
): Promise<number> {
  const sent = await sendWithSlot(sql, bucket, async () => undefined, {
    ...options,
    ...(signal ? { signal } : {}),
  });
  return sent.sentAtMs;
}

interface Admitted {
  entry: string;
  /** This process's clock when the admission was issued. */
  issued: number;
}

/** Admits the send, waiting for the window as needed; undefined when paused: take a new slot. */
async function admitWhenFree(
  sql: Sql,
  bucket: RateBucket,
  limits: BucketLimits,
  pendingMs: number,
  signal?: AbortSignal,
): Promise<Admitted | undefined> {
  let replacing: string | null = null;
  for (;;) {
    signal?.throwIfAborted();
    const issued = performance.now();
    const issuedAt = Date.now();
    const verdict = await confirmSend(sql, bucket, limits, replacing, pendingMs);
    if (verdict.kind === 'paused') return undefined;
    if (verdict.kind === 'full') {
      replacing = null; // the statement dropped it
      await abortableSleep(verdict.waitMs, signal);
      continue;
    }
    noteClockOffset(sql, issuedAt, verdict.stampMs);
    // The entry's bound holds only if the send starts soon: after a long stall, admit again.
    if (performance.now() - issued <= START_WITHIN_MS) return { entry: verdict.entry, issued };
    replacing = verdict.entry;
  }
}

// The send this async context is making, so that undici's diagnostics events find it.
interface TrackedSend {
  /** Date.now() right after the request was written. */
  writtenAt?: number;
  onWritten?: (() => void) | undefined;
}
const sendContext = new AsyncLocalStorage<TrackedSend>();
const undiciRequests = new WeakMap<object, TrackedSend>();
// request:create runs inside fetch's call (its async context); request:bodySent right after undici has
// written the whole request to the socket (for a GET, the headers), when the bytes are in the kernel.
subscribe('undici:request:create', (message) => {
  const tracked = sendContext.getStore();
  const request = (message as { request?: object }).request;
  if (tracked && request) undiciRequests.set(request, tracked);
});
subscribe('undici:request:bodySent', (message) => {
  const request = (message as { request?: object }).request;
  const tracked = request && undiciRequests.get(request);
  if (!tracked || tracked.writtenAt !== undefined) return;
  tracked.writtenAt = Date.now();
  tracked.onWritten?.();
});

/**
 * Replaces the pending entry by the send's time: the database's clock now (after the send, since this
 * statement is issued after it), or earlier when the local send time converts to an earlier bound.
 * Returns the recorded time (ms since the epoch, database clock).
 */
async function confirmSent(
  sql: Sql,
  bucket: RateBucket,
  entry: string,
  writtenAt: number | undefined,
): Promise<number> {
  const localBoundMs = writtenAt === undefined ? null : toDatabaseClockBound(sql, writtenAt);
  const [row] = await sql<{ sent_at_ms: number }[]>`
    with sent as (
      select least(clock_timestamp(), to_timestamp(${localBoundMs}::float8 / 1000)) as at,
             set_config('synchronous_commit', 'off', true) as async_commit
    )
    update rate_limit_slots s set
      recent_sends = array(select case when t = ${entry}::text::timestamptz then sent.at else t end
                           from unnest(s.recent_sends) t order by 1)
    from sent
    where s.key = ${bucket.key}
    returning (extract(epoch from sent.at) * 1000)::float8 as sent_at_ms`;
  return row?.sent_at_ms ?? Date.now();
}

// Lower bounds of (this process's clock - the database's clock) from recent admissions, per client: an
// admission's stamp lies between its issue and its answer, so local - database >= issue - stamp. Both are
// wall clocks (Date.now, clock_timestamp): a monotonic local clock would drift from a wall clock that NTP
// slews (up to 0.5 ms a second) and the bound would slip. Only the last seconds count, so that a drift
// between two machines' clocks cannot build up.
const clockSamples = new WeakMap<Sql, { at: number; low: number }[]>();
const CLOCK_SAMPLE_MS = 10_000;

function noteClockOffset(sql: Sql, issuedAt: number, stampMs: number): void {
  const now = Date.now();
  const recent = (clockSamples.get(sql) ?? []).filter((x) => now - x.at < CLOCK_SAMPLE_MS);
  recent.push({ at: now, low: issuedAt - stampMs });
  clockSamples.set(sql, recent.slice(-64));
}

/** An upper bound of the database's clock at local time `at` (Date.now()), or null without samples. */
function toDatabaseClockBound(sql: Sql, at: number): number | null {
  const samples = clockSamples.get(sql);
  if (!samples?.length) return null;
  const offsetLow = Math.max(...samples.map((x) => x.low));
  return at + 1 - offsetLow; // + 1: Date.now() is truncated to the millisecond
}

export type Verdict =
  /** entry: the log entry (text, microseconds); stampMs: the admission's time on the database clock. */
  { kind: 'sent'; entry: string; stampMs: number } | { kind: 'full'; waitMs: number } | { kind: 'paused' };

/**
 * (Exported for the tests.) One autocommit statement under the bucket row's lock: admits the send if the
 * window has room and the bucket is not paused, recording it as stamp + pendingMs (the latest time it may
 * leave, replaced once it has); else says how long until the window may have room. The window counts the
 * entries after now - window_ms, pending ones (in the future) included. `replacing` (an entry this caller
 * recorded before) is taken out of the log first.
 */
export async function confirmSend(
  sql: Sql,
  bucket: RateBucket,
  limits: BucketLimits,
  replacing: string | null,
  pendingMs = 0,
): Promise<Verdict> {
  const { windowLimit, windowMs, intervalMs } = limits;
  // `locked` takes the row lock and reads its latest version (SELECT ... FOR UPDATE waits for a concurrent
  // statement to commit, then returns the row as that one left it); `now` is read after the lock is
  // held. The UPDATE writes values computed from that locked version only, so concurrent admissions
  // are serialised and none is lost (the concurrent-caller test checks the count).
  // The commit is asynchronous (no WAL flush while the row lock is held and the caller waits): a lost
  // record after a database crash only forgets sends of the last moment, which is harmless here.
  // `replacing` goes in as text: postgres.js would round a timestamptz parameter to the millisecond.
  // When the entry that decides the wait is still pending (in the future), its send time is not known
  // yet: the caller asks again after one interval.
  const rows = await sql<
    { admitted: boolean; paused: boolean; entry: string; stamp_ms: number; wait_ms: number }[]
  >`
    with locked as materialized (
      select recent_sends, paused_until from rate_limit_slots where key = ${bucket.key} for update
    ), stamped as materialized (
      select clock_timestamp() as now, recent_sends, paused_until,
             set_config('synchronous_commit', 'off', true) as async_commit
      from locked
    ), log as (
      select now, paused_until is not null and paused_until > now as paused,
             array(select t from unnest(recent_sends) t
                   where t > now - make_interval(secs => ${windowMs}::float8 / 1000)
                     and t is distinct from ${replacing}::text::timestamptz
                   order by t) as sends
      from stamped
    ), verdict as (
      select now, paused, sends, not paused and cardinality(sends) < ${windowLimit}::int as admitted,
             now + make_interval(secs => ${pendingMs}::float8 / 1000) as entry,
             sends[cardinality(sends) - ${windowLimit}::int + 1] as deciding
      from log
    )
    update rate_limit_slots s set
      recent_sends = case when v.admitted then v.sends || v.entry else v.sends end,
      window_limit = ${windowLimit}::int,
      window_ms = ${windowMs}::float8,
      updated_at = v.now
    from verdict v
    where s.key = ${bucket.key}
    returning v.admitted, v.paused, v.entry::text as entry, (extract(epoch from v.now) * 1000)::float8 as stamp_ms,
      case when v.admitted or v.paused then 0
           when v.deciding > v.now then ${intervalMs}::float8
           else greatest(0, extract(epoch from (
                  v.deciding + make_interval(secs => ${windowMs}::float8 / 1000) - v.now)) * 1000)
      end::float8 as wait_ms`;
  const row = rows[0];
  if (!row || row.paused) return { kind: 'paused' };
  if (row.admitted) return { kind: 'sent', entry: row.entry, stampMs: row.stamp_ms };
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

/**
 * When each bucket's next slot is free, in ms from now. Negative: free since that long, so that among free
 * buckets the one idle longest comes first (calls alternate between idle accounts instead of all going to the
 * first); a bucket never used: -Infinity.
 */
export async function slotWaits(sql: Sql, keys: readonly string[]): Promise<Map<string, number>> {
  const rows = await sql<{ key: string; wait_ms: number | null }[]>`
    select k.key, (extract(epoch from (
             greatest(s.next_slot, coalesce(s.paused_until, s.next_slot)) - clock_timestamp())) * 1000)::float8 as wait_ms
    from unnest(${keys as string[]}::text[]) as k(key) left join rate_limit_slots s on s.key = k.key`;
  return new Map(rows.map((r) => [r.key, r.wait_ms ?? Number.NEGATIVE_INFINITY]));
}
