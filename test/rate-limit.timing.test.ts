import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { RacingApiConfig } from '../src/config.ts';
import { connect, type Sql } from '../src/db.ts';
import {
  acquireSlot,
  bucketFor,
  lateToleranceMs,
  pushBack,
  type RateBucket,
  RateLimitBacklogError,
} from '../src/rate-limit.ts';
import { useTestDatabase } from './helpers/db.ts';

const db = useTestDatabase();

const baseConfig: RacingApiConfig = {
  baseUrl: 'http://127.0.0.1:1/v1/',
  ratePerSec: 2,
  endpointRates: {},
  timeoutMs: 1000,
  maxAttempts: 5,
};

const freshKey = () => `test:${randomBytes(4).toString('hex')}`;

/** The largest number of timestamps (ms) inside any half-open window [t, t + windowMs). */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

async function slotRow(sql: Sql, key: string) {
  const [row] = await sql<{ interval_ms: number; ahead_ms: number }[]>`
    select interval_ms, (extract(epoch from (next_slot - clock_timestamp())) * 1000)::float8 as ahead_ms
    from rate_limit_slots where key = ${key}`;
  return row;
}

describe('bucketFor', () => {
  it('uses the shared account bucket unless the endpoint has its own rate, with a 2% margin by default', () => {
    const config = { ...baseConfig, endpointRates: { courses: 1 } };
    expect(bucketFor(config, 'results')).toMatchObject({ key: 'racing_api', intervalMs: 510 });
    expect(bucketFor(config, 'horses').key).toBe('racing_api');
    expect(bucketFor(config, 'courses')).toMatchObject({ key: 'racing_api:courses', intervalMs: 1020 });
    expect(bucketFor({ ...config, rateSafetyMargin: 0 }, 'results').intervalMs).toBe(500);
  });
});

describe('lateToleranceMs', () => {
  it('is the slack the margin leaves per second of budget', () => {
    expect(lateToleranceMs(51)).toBeCloseTo(20); // 20/s + 2%: slots 0 and 20 are 1020 ms apart
    expect(lateToleranceMs(510)).toBeCloseTo(20); // 2/s + 2%
    expect(lateToleranceMs(1010)).toBeCloseTo(10); // 1/s + 1%
    expect(lateToleranceMs(500)).toBeCloseTo(0); // no margin: no slack
  });
});

describe('acquireSlot', () => {
  it('keeps 3 clients x 10 callers within 20 per sliding second while using at least 93% of the budget (98% when the CPU is free)', async () => {
    const rate = 20;
    const bucket: RateBucket = {
      ...bucketFor({ ...baseConfig, ratePerSec: rate }, 'results'),
      key: freshKey(),
    };
    const clients = [0, 1, 2].map(() => connect(db.url, { max: 4 }));
    try {
      // Open every connection first: connection set-up inside the measured burst is not what is measured.
      await Promise.all(clients.flatMap((c) => [1, 2, 3, 4].map(() => c`select pg_sleep(0.05)`)));
      const perCaller = 2;
      const times: number[] = [];
      const caller = async (sql: Sql) => {
        for (let i = 0; i < perCaller; i++) {
          await acquireSlot(sql, bucket);
          times.push(performance.now());
        }
      };
      await Promise.all(clients.flatMap((sql) => Array.from({ length: 10 }, () => caller(sql))));
      const n = times.length;
      expect(n).toBe(60);
      expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(rate);
      const spanSec = (Math.max(...times) - Math.min(...times)) / 1000;
      const budgetUse = (n - 1) / spanSec / rate;
      console.info(
        `rate-limit: ${n} acquisitions by 30 callers on 3 clients in ${spanSec.toFixed(3)} s at ${rate}/s: budget use ${(budgetUse * 100).toFixed(1)}%, max per sliding second ${maxInWindow(times, 1000)}`,
      );
      // Alone this measures 98-98.5% (the 2% margin costs 2%). With the whole suite saturating 2 cores,
      // callers woken too late give their slot up (see acquireSlot) and it measured 95.1-96.1%: hence 93%.
      expect(budgetUse).toBeGreaterThanOrEqual(0.93);
      expect(budgetUse).toBeLessThanOrEqual(1);
    } finally {
      await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
    }
  });

  it('creates the bucket row on first use and keeps interval_ms in step with the configuration', async () => {
    const key = freshKey();
    await acquireSlot(db.sql, { key, intervalMs: 100 });
    expect((await slotRow(db.sql, key))?.interval_ms).toBe(100);
    await acquireSlot(db.sql, { key, intervalMs: 40 });
    expect((await slotRow(db.sql, key))?.interval_ms).toBe(40);
  });

  it('rejects with the abort reason while waiting, and does not touch the table when already aborted', async () => {
    const bucket: RateBucket = { key: freshKey(), intervalMs: 2000 };
    await acquireSlot(db.sql, bucket);
    const controller = new AbortController();
    const started = performance.now();
    const waiting = acquireSlot(db.sql, bucket, controller.signal);
    // Abort only once the slot is taken (the row moved on), so the sleep itself is what gets aborted.
    await expect.poll(async () => (await slotRow(db.sql, bucket.key))?.ahead_ms).toBeGreaterThan(2000);
    controller.abort(new Error('stop now'));
    await expect(waiting).rejects.toThrow('stop now');
    expect(performance.now() - started).toBeLessThan(1500);

    const unused: RateBucket = { key: freshKey(), intervalMs: 10 };
    await expect(acquireSlot(db.sql, unused, AbortSignal.abort())).rejects.toThrow();
    expect(await slotRow(db.sql, unused.key)).toBeUndefined();
  });

  it('refuses without taking a slot when the backlog exceeds maxWaitMs', async () => {
    const bucket: RateBucket = { key: freshKey(), intervalMs: 50, maxWaitMs: 1000 };
    await pushBack(db.sql, bucket, 5000);
    const before = await slotRow(db.sql, bucket.key);
    const error = await acquireSlot(db.sql, bucket).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitBacklogError);
    expect((error as RateLimitBacklogError).message).toMatch(
      /^rate-limit backlog on test:\w+ is 5 s, more than the 1 s allowed$/,
    );
    const after = await slotRow(db.sql, bucket.key);
    // Not moved by the refused caller (only time passed).
    expect(after!.ahead_ms).toBeLessThanOrEqual(before!.ahead_ms);
  });
});

describe('pushBack', () => {
  it('delays every worker: no caller on any client starts before the pushed-back slot', async () => {
    const bucket: RateBucket = { key: freshKey(), intervalMs: 20 };
    await acquireSlot(db.sql, bucket);
    const other = connect(db.url, { max: 2 });
    try {
      const pushedAt = performance.now();
      await pushBack(db.sql, bucket, 400);
      const waits = await Promise.all(
        [db.sql, other, db.sql, other].map(async (sql) => {
          await acquireSlot(sql, bucket);
          return performance.now() - pushedAt;
        }),
      );
      for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(395);
      // Spaced by the interval after the pause: 4 callers within 400 + 4 x 20 ms (plus scheduling).
      expect(Math.max(...waits)).toBeLessThan(800);
    } finally {
      await other.end({ timeout: 5 });
    }
  });

  it('never moves the next slot backwards', async () => {
    const bucket: RateBucket = { key: freshKey(), intervalMs: 20 };
    await pushBack(db.sql, bucket, 3000);
    await pushBack(db.sql, bucket, 100);
    expect((await slotRow(db.sql, bucket.key))!.ahead_ms).toBeGreaterThan(2500);
  });
});
