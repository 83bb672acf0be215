// The account-wide rate limit of The Racing API, kept in PostgreSQL so that every worker process on every
// machine draws from one budget (the limit belongs to the account, not to a process).
//
// One row per bucket in rate_limit_slots: next_slot is the earliest time the next request may start.
// Acquiring a slot is one autocommit statement that hands the caller greatest(next_slot, now) and moves
// next_slot one interval further; the caller then sleeps until its slot with no transaction open.
// The waiting time is computed by the database from its own clock, so clock skew between machines
// does not matter, and requests of all workers are spaced by the interval however they interleave.
//
// Why a safety margin on the interval: the slots are exact, but a request leaves when its timer fires,
// and timers fire late by a varying amount (event-loop stalls, scheduling, network latency to the API).
// With an interval of exactly 1000 / rate, rate + 1 slots span exactly one second, so if the request of
// slot k leaves 3 ms late and the one of slot k + rate leaves on time, the API sees rate + 1 requests
// within one second and answers 429. Stretching the interval by a margin m gives about m x 1000 ms of
// tolerance per second of budget (at any rate) for m of throughput. Measured: 30 callers sharing one event
// loop wake within about +-10 ms of their slots, which broke a 1% margin (10 ms) now and then; the default
// 2% (20 ms) still uses 98% of the budget. A caller that wakes later than the tolerance anyway (CPU
// starved, event loop blocked) gives its slot up and queues again, see acquireSlot.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONFIG_DEFAULTS, type Endpoint, type RacingApiConfig } from './config.ts';
import type { Sql } from './db.ts';

export interface RateBucket {
  /** 'racing_api' (the shared account bucket) or 'racing_api:<endpoint>' when that endpoint has its own rate. */
  key: string;
  /** Spacing of consecutive slots, the safety margin included. */
  intervalMs: number;
  /** A caller whose slot would be further away than this gets RateLimitBacklogError instead (no slot is used). */
  maxWaitMs?: number;
}

export const SHARED_BUCKET_KEY = 'racing_api';

/** Thrown by acquireSlot when the queue of slots is longer than maxWaitMs: reschedule the job instead of parking it. */
export class RateLimitBacklogError extends Error {
  readonly waitMs: number;
  constructor(key: string, waitMs: number, maxWaitMs: number) {
    super(
      `rate-limit backlog on ${key} is ${Math.ceil(waitMs / 1000)} s, more than the ${Math.round(maxWaitMs / 1000)} s allowed`,
    );
    this.name = 'RateLimitBacklogError';
    this.waitMs = waitMs;
  }
}

/** The bucket an endpoint draws from: its own when an endpoint rate is configured, else the account's. */
export function bucketFor(config: RacingApiConfig, endpoint: Endpoint): RateBucket {
  const own = config.endpointRates[endpoint];
  const rate = own ?? config.ratePerSec;
  if (!(rate > 0)) throw new Error(`rate for ${endpoint} must be above 0 requests per second, not ${rate}`);
  const margin = config.rateSafetyMargin ?? CONFIG_DEFAULTS.rateSafetyMargin;
  return {
    key: own === undefined ? SHARED_BUCKET_KEY : `${SHARED_BUCKET_KEY}:${endpoint}`,
    intervalMs: (1000 / rate) * (1 + margin),
    maxWaitMs: config.maxSlotWaitMs ?? CONFIG_DEFAULTS.maxSlotWaitMs,
  };
}

/**
 * Takes the next slot of the bucket and resolves when it has come. One autocommit upsert: it creates the
 * row on first use, keeps interval_ms in step with this process's configuration, and returns how long to
 * wait (measured on the database clock). Aborting the signal rejects with its reason; the slot is then lost.
 */
export async function acquireSlot(sql: Sql, bucket: RateBucket, signal?: AbortSignal): Promise<void> {
  const tolerance = lateToleranceMs(bucket.intervalMs);
  for (let take = 1; ; take++) {
    signal?.throwIfAborted();
    const waitMs = await takeSlot(sql, bucket);
    if (waitMs <= 0) return;
    const due = performance.now() + waitMs;
    await abortableSleep(waitMs, signal);
    // A wake-up later than the margin's tolerance (a blocked event loop: a big JSON parse, a busy CPU)
    // could put this request in the same second as slot k + rate of another worker: give the slot up and
    // queue again instead. Bounded, so a zero margin cannot loop for ever.
    if (performance.now() - due <= tolerance || take >= MAX_TAKES) return;
  }
}

const MAX_TAKES = 4;

/** How late a request may leave without sharing a one-second window with more than the budget. */
export function lateToleranceMs(intervalMs: number): number {
  // Slots k and k + n are the first pair at least one second apart; their gap beyond 1 s is the slack.
  const n = Math.ceil(1000 / intervalMs - 1e-9);
  return n * intervalMs - 1000;
}

/** One autocommit upsert: the caller's slot as a wait in ms from now (database clock). */
async function takeSlot(sql: Sql, bucket: RateBucket): Promise<number> {
  const interval = bucket.intervalMs;
  const maxWait = bucket.maxWaitMs ?? Number.POSITIVE_INFINITY;
  // The WHERE refuses (no row returned, nothing changed) when the backlog exceeds maxWait.
  // Infinity is passed as NULL: no limit.
  const rows = await sql<{ wait_ms: number }[]>`
    insert into rate_limit_slots as s (key, next_slot, interval_ms, updated_at)
    values (${bucket.key}, clock_timestamp() + make_interval(secs => ${interval}::float8 / 1000), ${interval}, clock_timestamp())
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
    throw new RateLimitBacklogError(bucket.key, state?.wait_ms ?? maxWait, maxWait);
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
 * After a 429: no slot of this bucket starts before now + delayMs, for every worker on the account.
 * Slots already handed out are not recalled (at most the few requests already waiting go ahead).
 */
export async function pushBack(sql: Sql, bucket: RateBucket, delayMs: number): Promise<void> {
  const delay = Math.max(0, delayMs);
  await sql`
    insert into rate_limit_slots as s (key, next_slot, interval_ms, updated_at)
    values (${bucket.key}, clock_timestamp() + make_interval(secs => ${delay}::float8 / 1000), ${bucket.intervalMs}, clock_timestamp())
    on conflict (key) do update set
      next_slot = greatest(s.next_slot, clock_timestamp() + make_interval(secs => ${delay}::float8 / 1000)),
      updated_at = clock_timestamp()`;
}
