import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type Coverage, coverageCache, loadCoverage } from '../../src/report/coverage.ts';
import { type ReportRouteOptions, reportRoutes } from '../../src/report/routes.ts';
import { useTestDatabase } from '../helpers/db.ts';

// reportRoutes inside a plain node:http server, the way the API server tries its extra routes first.

const db = useTestDatabase();
const servers: Server[] = [];
let base: string;

/** reportRoutes(db.sql, options) in its own server; its base URL. */
async function serve(options?: ReportRouteOptions): Promise<string> {
  const handle = reportRoutes(db.sql, options);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    handle(req, res, url).then(
      (handled) => {
        if (!handled) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      },
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  await db.sql`insert into ra_courses (id) values ('crs_1')`;
  await db.sql`insert into ra_mst_races (id, course_id, date) values ('rac_1', 'crs_1', '2025-05-01')`;
  await db.sql`
    insert into api_requests (requested_at, endpoint, path, status, attempt)
    values ('2026-03-02 06:00Z', 'results', '/v1/results', 200, 1)`;
  base = await serve();
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
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

describe('the numbers are computed at most once per interval', () => {
  test('a new row does not show until the interval (default 60 s) has passed', async () => {
    let clock = 1_000_000;
    const url = `${await serve({ now: () => clock })}/api/coverage`;
    const total = async () => (await (await fetch(url)).json()).requests.total;
    const before = await total();
    await db.sql`
      insert into api_requests (requested_at, endpoint, path, status, attempt)
      values ('2026-03-02 06:01Z', 'results', '/v1/results', 200, 1)`;
    clock += 59_999;
    expect(await total()).toBe(before);
    clock += 1;
    expect(await total()).toBe(before + 1);
  });

  test('HTML and JSON come from one computation; counted through the injected compute function', async () => {
    let clock = 0;
    const load = vi.fn((sql: Parameters<typeof loadCoverage>[0]) => loadCoverage(sql));
    const url = await serve({ cacheSeconds: 5, load, now: () => clock });
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${url}/report`)).status).toBe(200);
      expect((await fetch(`${url}/api/coverage`)).status).toBe(200);
    }
    expect(load).toHaveBeenCalledTimes(1);
    clock = 5_000;
    await fetch(`${url}/api/coverage`);
    await fetch(`${url}/report`);
    expect(load).toHaveBeenCalledTimes(2);
  });

  test('a failed computation is not kept: the next request computes again', async () => {
    const load = vi
      .fn<(sql: Parameters<typeof loadCoverage>[0]) => Promise<Coverage>>()
      .mockRejectedValueOnce(new Error('boom'))
      .mockImplementation((sql) => loadCoverage(sql));
    const url = await serve({ load });
    expect((await fetch(`${url}/api/coverage`)).status).toBe(500);
    expect((await fetch(`${url}/api/coverage`)).status).toBe(200);
    expect((await fetch(`${url}/api/coverage`)).status).toBe(200);
    expect(load).toHaveBeenCalledTimes(2);
  });
});

test('requests that arrive during a computation share it', async () => {
  let finish: (value: Coverage) => void = () => {};
  const load = vi.fn(() => new Promise<Coverage>((resolve) => (finish = resolve)));
  const coverage = coverageCache(db.sql, { maxAgeMs: 60_000, load });
  const waiting = Array.from({ length: 10 }, () => coverage());
  expect(load).toHaveBeenCalledTimes(1);
  const computed = await loadCoverage(db.sql);
  finish(computed);
  for (const result of await Promise.all(waiting)) expect(result).toBe(computed);
  expect(await coverage()).toBe(computed);
  expect(load).toHaveBeenCalledTimes(1);
});
