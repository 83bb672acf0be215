import type { Server } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fetchExpected, runHttpClients } from '../../bench/lib/http-clients.ts';
import { createApiServer, readOnlyClient } from '../../src/api/server.ts';
import type { Sql } from '../../src/db.ts';
import { loadCoverage } from '../../src/report/coverage.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { seedReportDemo } from '../helpers/report-demo.ts';
import { closeServer, listenLocal } from './listen.ts';

// 50 concurrent clients on loopback against a seeded database: every answer is a 200 with the right body.
// Latency is measured by `npm run bench -- http-load`, not asserted here.

const db = useTestDatabase();
let reader: Sql;
let api: Server;
let base = '';
let snapshotIds: number[] = [];

beforeAll(async () => {
  await seedReportDemo(db.sql);
  snapshotIds = (
    await db.sql<
      { id: number }[]
    >`select snapshot_id::float8 as id from market_book_snapshots order by 1 limit 5`
  ).map((r) => r.id);
  reader = readOnlyClient(db.url, 4);
  api = createApiServer({ sql: reader, reportCacheSeconds: 3600 });
  base = await listenLocal(api);
});

afterAll(async () => {
  await closeServer(api);
  await reader?.end();
});

test('50 clients x 4 requests: zero errors, every body as expected', async () => {
  const paths = [
    '/debug/markets/1.100/snapshots?limit=10',
    ...snapshotIds.map((id) => `/debug/snapshots/${id}/raw`),
    '/api/coverage',
    '/report',
  ];
  const expected = await fetchExpected(base, paths);
  // The answers repeated under load are themselves checked against the database.
  const snapshots = JSON.parse(expected.get(paths[0]!)!);
  expect(snapshots).toHaveLength(10);
  expect(new Set(snapshots.map((s: { market_id: string }) => s.market_id))).toEqual(new Set(['1.100']));
  expect(JSON.parse(expected.get(`/debug/snapshots/${snapshotIds[0]}/raw`)!).snapshot_id).toBe(
    snapshotIds[0],
  );
  const { generatedAt: _served, ...served } = JSON.parse(expected.get('/api/coverage')!);
  const { generatedAt: _direct, ...direct } = await loadCoverage(db.sql);
  expect(served).toEqual(JSON.parse(JSON.stringify(direct)));

  const result = await runHttpClients({
    base,
    clients: 50,
    requestsPerClient: 4,
    path: (client, n) => paths[(client + n) % paths.length]!,
    expected,
  });
  expect(result.errors).toEqual([]);
  expect(result.latenciesMs).toHaveLength(200);
});
