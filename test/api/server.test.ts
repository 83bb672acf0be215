import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApiServer, readOnlyClient, sendJson } from '../../src/api/server.ts';
import { ingestMarketBooks } from '../../src/betfair/market-books.ts';
import type { Sql } from '../../src/db.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { insertMetadata, insertRawSnapshot, reportBook } from '../helpers/ladder.ts';

const db = useTestDatabase();
let base = '';
let api: ReturnType<typeof createApiServer>;
let reader: Sql;
let orphanId = 0;

beforeAll(async () => {
  await insertMetadata(db.sql, '1.253489253');
  // An old snapshot (any age is shown), the report's snapshot, and a newer one without a derived row.
  await ingestMarketBooks(db.sql, [
    { ...reportBook(), snapshotAt: '2025-06-01T12:00:00Z' },
    { ...reportBook(), snapshotAt: '2026-02-14T17:51:58.466790+00:00' },
  ]);
  orphanId = await insertRawSnapshot(db.sql, '1.253489253', '2026-02-14T18:06:58Z', reportBook());
  reader = readOnlyClient(db.url, 2);
  api = createApiServer({
    sql: reader,
    extraRoutes: [
      async (_req, res, url) => {
        if (url.pathname !== '/extra') return false;
        sendJson(res, 200, { ok: true });
        return true;
      },
    ],
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => api?.close(resolve));
  await reader?.end();
});

async function get(path: string) {
  const res = await fetch(base + path);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
}

describe('GET /debug/markets/:market_id/snapshots', () => {
  test('newest first, any age, snapshots without a derived row included', async () => {
    const { status, type, body } = await get('/debug/markets/1.253489253/snapshots');
    expect(status).toBe(200);
    expect(type).toBe('application/json; charset=utf-8');
    expect(body.map((r: { snapshot_at: string }) => r.snapshot_at)).toEqual([
      '2026-02-14T18:06:58.000000Z',
      '2026-02-14T17:51:58.466790Z',
      '2025-06-01T12:00:00.000000Z',
    ]);
    expect(body[0]).toMatchObject({
      snapshot_id: orphanId,
      has_derived_row: false,
      home_best_back_size_l1: null,
    });
  });

  test('limit=1 after the orphan: the report sample response fields, plus ids, state, best prices and names', async () => {
    const { body } = await get('/debug/markets/1.253489253/snapshots?limit=2');
    expect(body).toHaveLength(2);
    expect(body[1]).toMatchObject({
      snapshot_at: '2026-02-14T17:51:58.466790Z',
      market_id: '1.253489253',
      home_best_back_size_l1: 21.53,
      away_best_back_size_l1: 164.01,
      draw_best_back_size_l1: 614.0,
      home_back_odds_l2: 10.0,
      home_back_size_l2: 343.34,
      away_back_odds_l2: 1.49,
      away_back_size_l2: 3345.92,
      draw_back_odds_l2: 4.0,
      draw_back_size_l2: 1876.42,
      has_derived_row: true,
      status: 'OPEN',
      inplay: false,
      total_matched: 48213.55,
      home_best_back: 10.5,
      home_best_lay: 11.0,
      home_best_lay_size_l1: 56.1,
      away_best_lay_size_l1: 410.7,
      draw_best_lay_size_l1: 205.0,
      home_spread: 0.5,
      home_runner_name: 'Young Boys',
      away_runner_name: 'Aston Villa',
      draw_runner_name: 'The Draw',
      draw_selection_id: 58805,
    });
    expect(typeof body[1].snapshot_id).toBe('number');
    expect(body[1]).not.toHaveProperty('raw_payload');
  });

  test('400 on a bad market id or limit, 404 on an unknown market, JSON errors', async () => {
    expect(await get('/debug/markets/253489253/snapshots')).toMatchObject({
      status: 400,
      body: { error: 'market_id must be "1." followed by digits' },
    });
    expect(await get("/debug/markets/1.2'%20or%201=1/snapshots")).toMatchObject({ status: 400 });
    for (const limit of ['0', '501', 'abc', '1.5', '-1']) {
      expect(await get(`/debug/markets/1.253489253/snapshots?limit=${limit}`)).toEqual({
        status: 400,
        type: 'application/json; charset=utf-8',
        body: { error: 'limit must be an integer from 1 to 500' },
      });
    }
    expect(await get('/debug/markets/1.999/snapshots')).toMatchObject({
      status: 404,
      body: { error: 'market 1.999 not found' },
    });
  });
});

describe('GET /debug/snapshots/:snapshot_id/raw', () => {
  test('the stored payload and its size', async () => {
    const { status, body } = await get(`/debug/snapshots/${orphanId}/raw`);
    expect(status).toBe(200);
    expect(body).toEqual({
      snapshot_id: orphanId,
      snapshot_at: '2026-02-14T18:06:58.000000Z',
      market_id: '1.253489253',
      raw_payload: reportBook(),
      raw_payload_size_bytes: expect.any(Number),
    });
    const [size] =
      await db.sql`select octet_length(raw_payload::text) as n from market_book_snapshots where snapshot_id = ${orphanId}`;
    expect(body.raw_payload_size_bytes).toBe(size?.n);
  });

  test('404 unknown snapshot, 400 bad id, 404 unknown route, extra routes first', async () => {
    expect(await get('/debug/snapshots/999999/raw')).toMatchObject({
      status: 404,
      body: { error: 'snapshot 999999 not found' },
    });
    expect(await get('/debug/snapshots/x1/raw')).toMatchObject({
      status: 400,
      body: { error: 'snapshot_id must be a positive integer' },
    });
    expect(await get('/nope')).toMatchObject({ status: 404, body: { error: 'no route for GET /nope' } });
    expect(await get('/extra')).toMatchObject({ status: 200, body: { ok: true } });
    const post = await fetch(`${base}/debug/snapshots/1/raw`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  test('the connection is read-only', async () => {
    await expect(reader`delete from market_book_snapshots`).rejects.toThrow(/read-only transaction/);
  });
});
