import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApiServer, readOnlyClient } from '../../src/api/server.ts';
import { ingestMarketBooks } from '../../src/betfair/market-books.ts';
import type { Sql } from '../../src/db.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { insertMetadata, reportBook } from '../helpers/ladder.ts';
import { closeServer, listenLocal } from './listen.ts';

// The request limits of the API server: statement timeout, row cap, malformed URLs.

const MARKET = '1.253489253';
const db = useTestDatabase();
let reader: Sql;
let api: Server;
let base = '';
const logged: string[] = [];

beforeAll(async () => {
  await insertMetadata(db.sql, MARKET);
  await ingestMarketBooks(
    db.sql,
    ['2026-02-14T17:00:00Z', '2026-02-14T17:05:00Z', '2026-02-14T17:10:00Z'].map((snapshotAt) => ({
      ...reportBook(),
      snapshotAt,
    })),
  );
  reader = readOnlyClient(db.url, 2);
  api = createApiServer({
    sql: reader,
    // Long enough for the unlocked queries on a busy machine; the locked ones wait for it in full.
    statementTimeoutMs: 2000,
    reportTimeoutMs: 2000,
    reportCacheSeconds: 0,
    maxRows: 2,
    log: (line) => logged.push(line),
  });
  base = await listenLocal(api);
});

afterAll(async () => {
  await closeServer(api);
  await reader?.end();
});

async function get(path: string) {
  const res = await fetch(base + path);
  return { status: res.status, body: await res.json() };
}

/** Runs fn while another session holds an ACCESS EXCLUSIVE lock on the snapshots: every reader waits. */
async function whileSnapshotsLocked<T>(fn: () => Promise<T>): Promise<T> {
  const locker = await db.sql.reserve();
  try {
    await locker`begin`;
    await locker`lock table market_book_snapshots in access exclusive mode`;
    return await fn();
  } finally {
    await locker`rollback`;
    locker.release();
  }
}

describe('statement timeout', () => {
  test('a debug query that waits past the timeout is cancelled: 503 {error: "timeout", id}, details logged', async () => {
    logged.length = 0;
    const { status, body } = await whileSnapshotsLocked(() => get(`/debug/markets/${MARKET}/snapshots`));
    expect(status).toBe(503);
    expect(body).toEqual({ error: 'timeout', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(`api error ${body.id}:`);
    expect(logged[0]).toMatch(/statement timeout.*\(57014\)$/);
  });

  test('the report computation has its own timeout and is cancelled the same way', async () => {
    const { status, body } = await whileSnapshotsLocked(() => get('/api/coverage'));
    expect(status).toBe(503);
    expect(body.error).toBe('timeout');
  });

  test('the timeout is local to each request: the pooled connections keep their own setting', async () => {
    const [row] = await reader<{ statement_timeout: string }[]>`show statement_timeout`;
    expect(row?.statement_timeout).toBe('0');
    expect((await get(`/debug/markets/${MARKET}/snapshots?limit=1`)).status).toBe(200);
  });
});

describe('row cap', () => {
  test('no more than maxRows rows by default, and a larger limit is refused', async () => {
    const { status, body } = await get(`/debug/markets/${MARKET}/snapshots`);
    expect(status).toBe(200);
    expect(body).toHaveLength(2);
    expect(await get(`/debug/markets/${MARKET}/snapshots?limit=3`)).toEqual({
      status: 400,
      body: { error: 'limit must be an integer from 1 to 2' },
    });
  });
});

describe('malformed URLs are 400', () => {
  test.each([
    '/debug/markets/%E0%A4%A/snapshots',
    '/debug/markets/%/snapshots',
    '/debug/snapshots/%ZZ/raw',
    '/debug/snapshots/%C0%80/raw',
  ])('%s', async (path) => {
    expect(await get(path)).toEqual({ status: 400, body: { error: 'malformed URL: bad % escape' } });
  });

  test('a request target that is not a URL', async () => {
    expect(await get('//')).toEqual({ status: 400, body: { error: 'malformed URL' } });
  });
});
