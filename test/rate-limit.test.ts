import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RacingApiConfig } from '../src/config.ts';
import { connect, type Sql } from '../src/db.ts';
import {
  acquireSlot,
  bucketFor,
  bucketLimits,
  confirmSend,
  pushBack,
  type RateBucket,
  RateLimitBacklogError,
  sendWithSlot,
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
  const [row] = await sql<
    {
      interval_ms: number;
      ahead_ms: number;
      sends: number;
      window_limit: number | null;
      window_ms: number | null;
    }[]
  >`
    select interval_ms, (extract(epoch from (next_slot - clock_timestamp())) * 1000)::float8 as ahead_ms,
           cardinality(recent_sends) as sends, window_limit, window_ms
    from rate_limit_slots where key = ${key}`;
  return row;
}

/** Keeps the event loop busy for ms, like a big JSON parse in a worker. */
function blockEventLoop(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy on purpose
  }
}

/** Clients with every connection open, so connection set-up is not inside the measured burst. */
async function openClients(count: number, max: number): Promise<Sql[]> {
  const clients = Array.from({ length: count }, () => connect(db.url, { max }));
  await Promise.all(clients.flatMap((c) => Array.from({ length: max }, () => c`select pg_sleep(0.05)`)));
  return clients;
}

/**
 * callersPerClient callers on each client, each sending perCaller times; the value is when each send
 * happened (this process's clock, ms). lateBy() delays a caller between its admission and its send, as a
 * process put off the CPU there would be.
 */
async function burst(
  clients: Sql[],
  bucket: RateBucket,
  callersPerClient: number,
  perCaller: number,
  lateBy?: () => number,
): Promise<number[]> {
  const sent: number[] = [];
  const caller = async (sql: Sql) => {
    for (let i = 0; i < perCaller; i++) {
      const late = lateBy?.() ?? 0;
      const send = async () => {
        if (late > 0) await sleep(late);
        return performance.now();
      };
      sent.push((await sendWithSlot(sql, bucket, send)).value);
    }
  };
  await Promise.all(clients.flatMap((sql) => Array.from({ length: callersPerClient }, () => caller(sql))));
  return sent;
}

describe('bucketFor and bucketLimits', () => {
  it('uses the shared account bucket unless the endpoint has its own rate, with a 2% margin by default', () => {
    const config = { ...baseConfig, endpointRates: { courses: 1 } };
    expect(bucketFor(config, 'results')).toMatchObject({
      key: 'racing_api',
      ratePerSec: 2,
      safetyMargin: 0.02,
    });
    expect(bucketFor(config, 'horses').key).toBe('racing_api');
    expect(bucketFor(config, 'courses')).toMatchObject({ key: 'racing_api:courses', ratePerSec: 1 });
    expect(bucketLimits(bucketFor(config, 'results'))).toEqual({
      windowLimit: 2,
      windowMs: 1010,
      intervalMs: 510,
    });
    expect(bucketLimits(bucketFor(config, 'courses')).intervalMs).toBe(1020);
    expect(bucketLimits(bucketFor({ ...config, rateSafetyMargin: 0 }, 'results')).intervalMs).toBe(500);
  });

  it('counts whole requests per second: a fractional rate rounds down, a rate below 1 widens the window', () => {
    expect(bucketLimits({ key: 'k', ratePerSec: 20 })).toMatchObject({ windowLimit: 20, windowMs: 1010 });
    expect(bucketLimits({ key: 'k', ratePerSec: 2.5, safetyMargin: 0 })).toMatchObject({
      windowLimit: 2,
      windowMs: 1000,
      intervalMs: 500,
    });
    expect(bucketLimits({ key: 'k', ratePerSec: 0.5, safetyMargin: 0 })).toMatchObject({
      windowLimit: 1,
      windowMs: 2000,
      intervalMs: 2000,
    });
  });
});

describe('confirmSend', () => {
  it('admits exactly the window limit among 60 simultaneous confirmations on 3 clients (mutual exclusion)', async () => {
    // A 10 s window (a huge margin) so that every confirmation falls in the same window.
    const bucket: RateBucket = { key: freshKey(), ratePerSec: 20, safetyMargin: 18 };
    const limits = bucketLimits(bucket);
    expect(limits.windowMs).toBe(10_000);
    await pushBack(db.sql, bucket, 0); // creates the row
    const clients = await openClients(3, 8);
    try {
      const verdicts = await Promise.all(
        clients.flatMap((sql) => Array.from({ length: 20 }, () => confirmSend(sql, bucket, limits, null))),
      );
      const sent = verdicts.flatMap((v) => (v.kind === 'sent' ? [v.entry] : []));
      expect(sent).toHaveLength(20);
      expect(new Set(sent).size).toBe(20);
      for (const v of verdicts) {
        if (v.kind === 'full') expect(v.waitMs).toBeGreaterThan(9000);
        else expect(v.kind).toBe('sent');
      }
      // The log holds exactly the admitted sends, oldest first: no confirmation overwrote another.
      const [row] = await db.sql<{ sends: string[] }[]>`
        select array(select t::text from unnest(recent_sends) t) as sends from rate_limit_slots where key = ${bucket.key}`;
      expect(row?.sends).toEqual([...sent].sort());
      expect((await slotRow(db.sql, bucket.key))?.window_limit).toBe(20);
    } finally {
      await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
    }
  });

  it('replaces the caller’s own earlier entry when admitting again, so a send never counts twice', async () => {
    const bucket: RateBucket = { key: freshKey(), ratePerSec: 2, safetyMargin: 18 };
    const limits = bucketLimits(bucket);
    await pushBack(db.sql, bucket, 0);
    const first = await confirmSend(db.sql, bucket, limits, null);
    const second = await confirmSend(db.sql, bucket, limits, null);
    expect(second.kind).toBe('sent');
    expect((await confirmSend(db.sql, bucket, limits, null)).kind).toBe('full');
    if (first.kind !== 'sent') throw new Error('first confirmation refused');
    const restamped = await confirmSend(db.sql, bucket, limits, first.entry);
    expect(restamped.kind).toBe('sent');
    expect((await slotRow(db.sql, bucket.key))?.sends).toBe(2);
  });
});

describe('acquireSlot', () => {
  // Budget use is measured by bench/rate-limit.ts; these check only the bound, which must hold on a
  // machine as busy as it gets.
  it('keeps 3 clients x 10 callers within 20 sends per sliding second', async () => {
    const rate = 20;
    const bucket: RateBucket = {
      ...bucketFor({ ...baseConfig, ratePerSec: rate }, 'results'),
      key: freshKey(),
    };
    const clients = await openClients(3, 4);
    try {
      const sent = await burst(clients, bucket, 10, 2);
      expect(sent).toHaveLength(60);
      expect(maxInWindow(sent, 1000)).toBeLessThanOrEqual(rate);
    } finally {
      await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
    }
  });

  it('holds the budget on actual send times when sends leave late after their admission', async () => {
    const rate = 20;
    const bucket: RateBucket = {
      // No margin: the bound must not depend on it.
      ...bucketFor({ ...baseConfig, ratePerSec: rate, rateSafetyMargin: 0 }, 'results'),
      key: freshKey(),
    };
    const clients = await openClients(4, 4);
    try {
      // One send in three leaves 5-100 ms after its admission: a worker put off the CPU between the two.
      // With the send recorded at its admission this put 21-23 sends into one second.
      let n = 0;
      const sent = await burst(clients, bucket, 4, 5, () => (n++ % 3 === 1 ? 5 + ((n * 37) % 96) : 0));
      expect(sent).toHaveLength(80);
      expect(maxInWindow(sent, 1000)).toBeLessThanOrEqual(rate);
    } finally {
      await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
    }
  });

  it('holds the budget when the event loop is blocked at random (answers of the database processed late)', async () => {
    const rate = 20;
    const bucket: RateBucket = {
      ...bucketFor({ ...baseConfig, ratePerSec: rate, rateSafetyMargin: 0 }, 'results'),
      key: freshKey(),
    };
    const clients = await openClients(3, 4);
    let noisy = true;
    // 15-75 ms stalls every 50-150 ms: timers fire late and answers wait in their sockets.
    const noise = (async () => {
      for (let i = 0; noisy; i++) {
        await sleep(50 + ((i * 53) % 101));
        blockEventLoop(15 + ((i * 29) % 61));
      }
    })();
    try {
      const sent = await burst(clients, bucket, 10, 2);
      expect(sent).toHaveLength(60);
      expect(maxInWindow(sent, 1000)).toBeLessThanOrEqual(rate);
    } finally {
      noisy = false;
      await noise;
      await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
    }
  });

  it('records a request sent through fetch when undici has written it, not when it was admitted', async () => {
    const bucket: RateBucket = { key: freshKey(), ratePerSec: 20 };
    const server = createServer((_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let admitted = false;
      const sending = sendWithSlot(db.sql, bucket, async () => {
        admitted = true;
        await gate;
        return (await fetch(url)).text();
      });
      await expect.poll(() => admitted).toBe(true);
      // While the send is held, its entry stands for the latest time it may leave: in the future.
      const [held] = await db.sql<{ ahead: boolean }[]>`
        select max(t) > clock_timestamp() as ahead from rate_limit_slots, unnest(recent_sends) t where key = ${bucket.key}`;
      expect(held?.ahead).toBe(true);
      const [{ releasedAtMs } = { releasedAtMs: 0 }] = await db.sql<{ releasedAtMs: number }[]>`
        select (extract(epoch from clock_timestamp()) * 1000)::float8 as "releasedAtMs"`;
      release();
      const sent = await sending;
      const [{ settledAtMs } = { settledAtMs: 0 }] = await db.sql<{ settledAtMs: number }[]>`
        select (extract(epoch from clock_timestamp()) * 1000)::float8 as "settledAtMs"`;
      expect(sent.value).toBe('ok');
      expect(sent.sentAtMs).toBeGreaterThanOrEqual(releasedAtMs);
      expect(sent.sentAtMs).toBeLessThanOrEqual(settledAtMs);
      const [row] = await db.sql<{ sends: number[] }[]>`
        select array(select (extract(epoch from t) * 1000)::float8 from unnest(recent_sends) t) as sends
        from rate_limit_slots where key = ${bucket.key}`;
      expect(row?.sends).toHaveLength(1);
      expect(row?.sends[0]).toBeCloseTo(sent.sentAtMs, 0);
    } finally {
      server.close();
    }
  });

  it('creates the bucket row on first use and keeps its interval and window in step with the configuration', async () => {
    const key = freshKey();
    await acquireSlot(db.sql, { key, ratePerSec: 10 });
    expect(await slotRow(db.sql, key)).toMatchObject({
      interval_ms: 102, // 1000 / 10 x (1 + the default 2% margin)
      sends: 1,
      window_limit: 10,
      window_ms: 1010,
    });
    await acquireSlot(db.sql, { key, ratePerSec: 25 });
    expect(await slotRow(db.sql, key)).toMatchObject({ interval_ms: 40.8, sends: 2, window_limit: 25 });
  });

  it('rejects with the abort reason while waiting, and does not touch the table when already aborted', async () => {
    const bucket: RateBucket = { key: freshKey(), ratePerSec: 0.5 }; // one per 2.04 s
    await acquireSlot(db.sql, bucket);
    const controller = new AbortController();
    const waiting = acquireSlot(db.sql, bucket, controller.signal);
    // Abort only once the slot is taken (the row moved on), so the sleep itself is what gets aborted.
    await expect.poll(async () => (await slotRow(db.sql, bucket.key))?.ahead_ms).toBeGreaterThan(2000);
    controller.abort(new Error('stop now'));
    await expect(waiting).rejects.toThrow('stop now');
    expect((await slotRow(db.sql, bucket.key))?.sends).toBe(1); // the aborted caller confirmed nothing

    const unused: RateBucket = { key: freshKey(), ratePerSec: 100 };
    await expect(acquireSlot(db.sql, unused, AbortSignal.abort())).rejects.toThrow();
    expect(await slotRow(db.sql, unused.key)).toBeUndefined();
  });

  it('rejects with the abort reason while waiting for room in the window', async () => {
    const bucket: RateBucket = { key: freshKey(), ratePerSec: 1, safetyMargin: 18 }; // one per 10 s window
    await acquireSlot(db.sql, bucket);
    await db.sql`update rate_limit_slots set next_slot = clock_timestamp() where key = ${bucket.key}`;
    const controller = new AbortController();
    const updatedAt = async () =>
      (
        await db.sql<
          { t: string }[]
        >`select updated_at::text as t from rate_limit_slots where key = ${bucket.key}`
      )[0]?.t;
    // The slot is free at once; the window (one send per 10 s, taken) refuses the admission, which
    // still stamps updated_at: abort once that happened, while the caller waits for room.
    let beforeAdmission: string | undefined;
    const waiting = acquireSlot(db.sql, bucket, controller.signal, {
      beforeAdmit: async () => {
        beforeAdmission = await updatedAt();
      },
    });
    await expect
      .poll(async () => beforeAdmission !== undefined && (await updatedAt()) !== beforeAdmission)
      .toBe(true);
    controller.abort(new Error('stop waiting'));
    await expect(waiting).rejects.toThrow('stop waiting');
    expect((await slotRow(db.sql, bucket.key))?.sends).toBe(1);
  });

  it('refuses without taking a slot when the backlog exceeds maxWaitMs', async () => {
    const bucket: RateBucket = { key: freshKey(), ratePerSec: 20, maxWaitMs: 1000 };
    await pushBack(db.sql, bucket, 5000);
    const before = await slotRow(db.sql, bucket.key);
    const error = await acquireSlot(db.sql, bucket).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitBacklogError);
    expect((error as RateLimitBacklogError).message).toMatch(
      /^rate-limit backlog on test:\w+ is \d s, more than the 1 s allowed$/,
    );
    const after = await slotRow(db.sql, bucket.key);
    // Not moved by the refused caller (only time passed).
    expect(after!.ahead_ms).toBeLessThanOrEqual(before!.ahead_ms);
  });
});

describe('pushBack', () => {
  it('delays every worker: no caller on any client starts before the pushed-back time', async () => {
    const bucket: RateBucket = { key: freshKey(), ratePerSec: 50 }; // 20.4 ms apart
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
    } finally {
      await other.end({ timeout: 5 });
    }
  });

  it('also turns back a caller that already holds a slot, which then queues behind the pause', async () => {
    const bucket: RateBucket = { key: freshKey(), ratePerSec: 4 }; // 255 ms apart
    await acquireSlot(db.sql, bucket);
    const holder = acquireSlot(db.sql, bucket).then(() => performance.now());
    // Once its slot (255 ms away) is taken, a 429 elsewhere pauses the account for 600 ms.
    await expect.poll(async () => (await slotRow(db.sql, bucket.key))?.ahead_ms).toBeGreaterThan(300);
    const pushedAt = performance.now();
    await pushBack(db.sql, bucket, 600);
    expect((await holder) - pushedAt).toBeGreaterThanOrEqual(595);
  });

  it('never moves the next slot backwards', async () => {
    const bucket: RateBucket = { key: freshKey(), ratePerSec: 50 };
    const nextSlot = async () =>
      (
        await db.sql<
          { t: string }[]
        >`select next_slot::text as t from rate_limit_slots where key = ${bucket.key}`
      )[0]?.t;
    await pushBack(db.sql, bucket, 3000);
    const pushed = await nextSlot();
    await pushBack(db.sql, bucket, 100);
    expect(await nextSlot()).toBe(pushed);
  });
});
