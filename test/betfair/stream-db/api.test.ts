import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApiServer, readOnlyClient } from '../../../src/api/server.ts';
import { importStreamFile } from '../../../src/betfair/ingest-stream.ts';
import { generateWinMarket, writeStreamFile } from '../../../src/betfair/stream/index.ts';
import type { Sql } from '../../../src/db.ts';
import { useTestDatabase } from '../../helpers/db.ts';

const db = useTestDatabase();
let base = '';
let api: ReturnType<typeof createApiServer>;
let reader: Sql;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stream-api-'));
  const path = join(dir, 'm.gz');
  await writeStreamFile(
    path,
    generateWinMarket({ marketId: '1.500000001', marketTime: '2024-06-14T13:30:00Z', runners: 5, seed: 5 }),
    'gzip',
  );
  await importStreamFile(db.sql, path, { cadence: { kind: 'at', offsetsMs: [-3_600_000, 0] } });
  reader = readOnlyClient(db.url, 2);
  api = createApiServer({ sql: reader });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => api?.close(resolve));
  await reader?.end();
  await rm(dir, { recursive: true, force: true });
});

describe('GET /debug/markets/:id/runners', () => {
  test('every runner at a time: the snapshot at or before it, with per-runner metrics', async () => {
    const res = await fetch(`${base}/debug/markets/1.500000001/runners?at=2024-06-14T12:45:00Z`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(new Date(body.snapshot.snapshot_at).getTime()).toBeLessThanOrEqual(
      Date.parse('2024-06-14T12:45:00Z'),
    );
    expect(body.snapshot.inplay).toBe(false);
    expect(body.runners).toHaveLength(5);
    const active = body.runners.filter((r: { status_at: string }) => r.status_at === 'ACTIVE');
    expect(active.length).toBeGreaterThan(0);
    expect(active.every((r: { back_price_l1: number | null }) => r.back_price_l1 !== null)).toBe(true);

    const latest = await (await fetch(`${base}/debug/markets/1.500000001/runners`)).json();
    expect(latest.snapshot.status).toBe('CLOSED');
    expect(
      latest.runners.filter((r: { runner_status: string }) => r.runner_status === 'WINNER'),
    ).toHaveLength(1);
  });

  test('bad input is a 400, an unknown market a 404', async () => {
    expect((await fetch(`${base}/debug/markets/1.500000001/runners?at=yesterday`)).status).toBe(400);
    expect((await fetch(`${base}/debug/markets/nope/runners`)).status).toBe(400);
    expect((await fetch(`${base}/debug/markets/1.999/runners`)).status).toBe(404);
  });
});

describe('the report', () => {
  test('has a Betfair section: markets per year and type, link coverage', async () => {
    const coverage = await (await fetch(`${base}/api/coverage`)).json();
    expect(coverage.betfair.marketTypes).toEqual([{ year: 2024, marketType: 'WIN', markets: 1 }]);
    expect(coverage.betfair.years).toEqual([
      expect.objectContaining({ year: 2024, markets: 1, linked: 0, noRacingData: 1 }),
    ]);
    const html = await (await fetch(`${base}/report`)).text();
    expect(html).toContain('<section id="betfair">');
    expect(html).toContain('Markets per year and type');
  });
});
