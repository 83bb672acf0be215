import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadCoverage } from '../../src/report/coverage.ts';
import { reportRoutes } from '../../src/report/routes.ts';
import { useTestDatabase } from '../helpers/db.ts';

// reportRoutes inside a plain node:http server, the way the API server tries its extra routes first.

const db = useTestDatabase();
let server: Server;
let base: string;

beforeAll(async () => {
  await db.sql`insert into ra_courses (id) values ('crs_1')`;
  await db.sql`insert into ra_mst_races (id, course_id, date) values ('rac_1', 'crs_1', '2025-05-01')`;
  await db.sql`
    insert into api_requests (requested_at, endpoint, path, status, attempt)
    values ('2026-03-02 06:00Z', 'results', '/v1/results', 200, 1)`;
  const handle = reportRoutes(db.sql);
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    handle(req, res, url).then(
      (handled) => {
        if (!handled) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      },
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

test('GET /report answers the HTML report', async () => {
  const response = await fetch(`${base}/report`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  const html = await response.text();
  expect(html).toMatch(/^<!doctype html>/);
  expect(html).toContain('<td>2025</td>');
});

test('GET /api/coverage answers the same numbers as loadCoverage, as JSON', async () => {
  const response = await fetch(`${base}/api/coverage?x=1`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  const served = await response.json();
  const expected = await loadCoverage(db.sql);
  expect(served.generatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect({ ...served, generatedAt: 'x' }).toEqual({ ...expected, generatedAt: 'x' });
  expect(served.years).toHaveLength(1);
  expect(served.requests.total).toBe(1);
});

test('other paths are left to the server (404 here), other methods on its paths get 405', async () => {
  expect((await fetch(`${base}/reports`)).status).toBe(404);
  expect((await fetch(`${base}/`)).status).toBe(404);
  const post = await fetch(`${base}/api/coverage`, { method: 'POST' });
  expect(post.status).toBe(405);
  expect(post.headers.get('allow')).toBe('GET, HEAD');
  const head = await fetch(`${base}/report`, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
});
