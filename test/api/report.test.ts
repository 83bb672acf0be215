import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApiServer, readOnlyClient } from '../../src/api/server.ts';
import type { Sql } from '../../src/db.ts';
import { loadCoverage } from '../../src/report/coverage.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { seedReportDemo } from '../helpers/report-demo.ts';

const db = useTestDatabase();
let base = '';
let api: ReturnType<typeof createApiServer>;
let reader: Sql;

beforeAll(async () => {
  await seedReportDemo(db.sql);
  reader = readOnlyClient(db.url, 2);
  api = createApiServer({ sql: reader });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => api?.close(resolve));
  await reader?.end();
});

describe('the API server serves the coverage report', () => {
  test('GET /report is the self-contained HTML report, read through the read-only connection', async () => {
    const res = await fetch(`${base}/report`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<canvas/);
    expect(html).not.toMatch(/<script[^>]+src=/); // Chart.js inlined, nothing fetched
  });

  test('GET /api/coverage answers the same numbers as the report', async () => {
    const res = await fetch(`${base}/api/coverage`);
    expect(res.status).toBe(200);
    const { generatedAt: _served, ...served } = await res.json();
    const { generatedAt: _direct, ...direct } = await loadCoverage(db.sql);
    expect(served).toEqual(JSON.parse(JSON.stringify(direct)));
  });

  test('the debug endpoints still answer beside it', async () => {
    const res = await fetch(`${base}/debug/markets/not-a-market/snapshots`);
    expect(res.status).toBe(400);
  });
});
