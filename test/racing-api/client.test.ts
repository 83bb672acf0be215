import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RacingApiConfig } from '../../src/config.ts';
import { accountsOf } from '../../src/config.ts';
import {
  createRacingApiClient,
  TransientApiError,
  UnexpectedApiResponseError,
} from '../../src/racing-api/client.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { coursesBody, horseProBody, racecardsPageBody, resultsPageBody } from './fixtures.ts';
import { json, type Script, type ScriptedServer, startScriptedServer } from './scripted-server.ts';

const db = useTestDatabase();

const USERNAME = 'kit-user';
const PASSWORD = 'secret-pw-8f3a';

let server: ScriptedServer | undefined;

async function serve(script: Script): Promise<ScriptedServer> {
  server = await startScriptedServer(script);
  return server;
}

function configFor(s: ScriptedServer, overrides: Partial<RacingApiConfig> = {}): RacingApiConfig {
  return {
    baseUrl: s.baseUrl,
    username: USERNAME,
    password: PASSWORD,
    ratePerSec: 50,
    endpointRates: {},
    timeoutMs: 2000,
    maxAttempts: 4,
    retryBaseMs: 10,
    retryMaxDelayMs: 40,
    ...overrides,
  };
}

const page = { date: '2025-10-13', regions: ['gb', 'ire'], skip: 0, limit: 50 };

interface AuditRow {
  endpoint: string;
  path: string;
  query: string | null;
  status: number | null;
  attempt: number;
  duration_ms: number | null;
  bytes: number | null;
  error: string | null;
  job_id: string | null;
}

const auditRows = () =>
  db.sql<AuditRow[]>`
    select endpoint, path, query, status, attempt, duration_ms, bytes, error, job_id
    from api_requests order by id`;

beforeEach(async () => {
  await db.sql`delete from api_requests`;
  await db.sql`delete from rate_limit_slots`;
  await db.sql`delete from api_accounts`;
  await db.sql`delete from api_plan_gaps`;
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('successful calls', () => {
  it('parses a results page, keeps the body as received, and sends repeated region keys and Basic auth', async () => {
    const s = await serve((_req, res) => json(res, 200, resultsPageBody));
    const client = createRacingApiClient({ config: configFor(s), sql: db.sql, jobId: 'job-7' });
    const result = await client.resultsPage(page);

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.status).toBe(200);
    expect(result.data.results[0]?.runners[0]?.horse_id).toBe('hrs_47475190');
    expect(result.data.results[0]?.runners[0]?.tsr).toBe('–');
    expect(result.data.total).toBe(31);
    expect(result.bodyText).toBe(JSON.stringify(resultsPageBody));
    expect(result.bytes).toBe(Buffer.byteLength(JSON.stringify(resultsPageBody)));

    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]?.url).toBe(
      '/v1/results?start_date=2025-10-13&end_date=2025-10-13&region=gb&region=ire&limit=50&skip=0',
    );
    expect(s.requests[0]?.authorization).toBe(
      `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`,
    );

    const rows = await auditRows();
    expect(rows).toEqual([
      {
        endpoint: 'results',
        path: '/v1/results',
        query: 'start_date=2025-10-13&end_date=2025-10-13&region=gb&region=ire&limit=50&skip=0',
        status: 200,
        attempt: 1,
        duration_ms: expect.any(Number),
        bytes: result.bytes,
        error: null,
        job_id: 'job-7',
      },
    ]);
    // Credentials appear nowhere in the audit table, in any form.
    const token = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64');
    const [leak] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from api_requests a
      where row_to_json(a)::text ilike ${`%${PASSWORD}%`} or row_to_json(a)::text ilike ${`%${USERNAME}%`}
         or row_to_json(a)::text like ${`%${token}%`}`;
    expect(leak?.n).toBe(0);
  });

  it('calls racecards pro, horse pro and courses with their paths and repeated region_codes', async () => {
    const s = await serve((req, res) => {
      if (req.url?.startsWith('/v1/racecards/pro')) return json(res, 200, racecardsPageBody);
      if (req.url?.startsWith('/v1/horses/')) return json(res, 200, { ...horseProBody, new_field: 'kept' });
      if (req.url?.startsWith('/v1/courses')) return json(res, 200, coursesBody);
      json(res, 404, { detail: 'Not Found' });
    });
    const client = createRacingApiClient({ config: configFor(s), sql: db.sql });

    const cards = await client.racecardsPage({ ...page, limit: 500 });
    const horse = await client.horsePro('hrs_6181308');
    const courses = await client.courses(['gb', 'ire']);

    expect(s.requests.map((r) => r.url)).toEqual([
      '/v1/racecards/pro?date=2025-10-13&region_codes=gb&region_codes=ire&limit=500&skip=0',
      '/v1/horses/hrs_6181308/pro',
      '/v1/courses?region_codes=gb&region_codes=ire',
    ]);
    expect(cards.ok && cards.data.racecards[0]?.runners[0]?.odds?.[0]?.bookmaker).toBe('Bet365');
    expect(cards.ok && cards.data.racecards[0]?.big_race).toBe(false);
    expect(horse.ok && horse.data.sire_id).toBe('sir_3188248');
    // Loose objects: an unknown field is accepted and kept.
    expect(horse.ok && (horse.data as Record<string, unknown>).new_field).toBe('kept');
    expect(courses.ok && courses.data.courses.map((c) => c.id)).toEqual(['crs_832', 'crs_4550']);
    expect((await auditRows()).map((r) => [r.endpoint, r.path, r.query])).toEqual([
      ['racecards', '/v1/racecards/pro', 'date=2025-10-13&region_codes=gb&region_codes=ire&limit=500&skip=0'],
      ['horses', '/v1/horses/hrs_6181308/pro', null],
      ['courses', '/v1/courses', 'region_codes=gb&region_codes=ire'],
    ]);
  });

  it('reads results: null (allowed by v1.4.3) as an empty page, keeping the body as received', async () => {
    const empty = { results: null, total: 0, limit: 50, skip: 0, query: [['start_date', '2025-12-24']] };
    const s = await serve((_req, res) => json(res, 200, empty));
    const result = await createRacingApiClient({ config: configFor(s), sql: db.sql }).resultsPage(page);
    expect(result.ok && result.data.results).toEqual([]);
    expect(result.ok && JSON.parse(result.bodyText)).toEqual(empty);
  });

  it('sends no Authorization header when no credentials are configured', async () => {
    const s = await serve((_req, res) => json(res, 200, coursesBody));
    const config = configFor(s);
    delete config.username;
    delete config.password;
    const result = await createRacingApiClient({ config, sql: db.sql }).courses(['gb']);
    expect(result.ok).toBe(true);
    expect(s.requests[0]?.authorization).toBeUndefined();
  });
});

describe('retries', () => {
  it('honours Retry-After on a 429 and pushes the shared slot back so another worker waits too', async () => {
    const s = await serve((req, res, n) => {
      if (n === 0) return json(res, 429, { detail: 'Too Many Requests' }, { 'retry-after': '1' });
      if (req.url?.startsWith('/v1/horses/')) return json(res, 200, horseProBody);
      json(res, 200, resultsPageBody);
    });
    const config = configFor(s);
    const first = createRacingApiClient({ config, sql: db.sql }).resultsPage(page);
    await s.received(1);
    // The 429 was answered; once the pushBack is in the table, a second worker asks for a horse.
    await expect
      .poll(async () => {
        const [row] = await db.sql<{ ahead: number }[]>`
          select (extract(epoch from next_slot - clock_timestamp()) * 1000)::float8 as ahead
          from rate_limit_slots where key = 'racing_api'`;
        return row?.ahead ?? 0;
      })
      .toBeGreaterThan(500);
    const other = await createRacingApiClient({ config, sql: db.sql }).horsePro('hrs_6181308');
    const result = await first;

    expect(result.ok).toBe(true);
    expect(other.ok).toBe(true);
    expect(s.requests).toHaveLength(3);
    const t429 = s.requests[0]!.at;
    for (const later of s.requests.slice(1)) expect(later.at - t429).toBeGreaterThanOrEqual(950);
    const rows = await auditRows();
    expect(rows.filter((r) => r.endpoint === 'results').map((r) => [r.status, r.attempt])).toEqual([
      [429, 1],
      [200, 2],
    ]);
    expect(rows.find((r) => r.status === 429)?.error).toBe('HTTP 429: Too Many Requests');
  });

  it('retries 500 and 503 (and 408), then succeeds', async () => {
    const statuses = [500, 503, 408];
    const s = await serve((_req, res, n) => {
      const status = statuses[n];
      if (status) return json(res, status, { detail: `failure ${n}` });
      json(res, 200, resultsPageBody);
    });
    const result = await createRacingApiClient({ config: configFor(s), sql: db.sql }).resultsPage(page);
    expect(result.ok).toBe(true);
    expect((await auditRows()).map((r) => [r.attempt, r.status, r.error])).toEqual([
      [1, 500, 'HTTP 500: failure 0'],
      [2, 503, 'HTTP 503: failure 1'],
      [3, 408, 'HTTP 408: failure 2'],
      [4, 200, null],
    ]);
  });

  it('retries a timed-out attempt (per-attempt timeout) and records it with status NULL', async () => {
    const s = await serve((_req, res, n) => {
      if (n === 0) return; // never answers
      json(res, 200, coursesBody);
    });
    const result = await createRacingApiClient({
      config: configFor(s, { timeoutMs: 200 }),
      sql: db.sql,
    }).courses(['gb']);
    expect(result.ok).toBe(true);
    const rows = await auditRows();
    expect(rows.map((r) => [r.attempt, r.status, r.error])).toEqual([
      [1, null, 'timed out after 200 ms'],
      [2, 200, null],
    ]);
    expect(rows[0]?.duration_ms).toBeGreaterThanOrEqual(195);
  });

  it('applies the timeout to a body that stalls half-way, too', async () => {
    const s = await serve((_req, res, n) => {
      if (n === 0) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
        res.write('{"courses":[');
        return; // headers and part of the body sent, the rest never comes
      }
      json(res, 200, coursesBody);
    });
    const result = await createRacingApiClient({
      config: configFor(s, { timeoutMs: 200 }),
      sql: db.sql,
    }).courses(['gb']);
    expect(result.ok).toBe(true);
    expect((await auditRows()).map((r) => r.error)).toEqual(['timed out after 200 ms', null]);
  });

  it('retries a connection reset', async () => {
    const s = await serve((req, res, n) => {
      if (n === 0) req.socket.destroy();
      else json(res, 200, horseProBody);
    });
    const result = await createRacingApiClient({ config: configFor(s), sql: db.sql }).horsePro('hrs_6181308');
    expect(result.ok).toBe(true);
    const rows = await auditRows();
    expect(rows).toHaveLength(2);
    expect(rows[0]?.status).toBeNull();
    expect(rows[0]?.error).toMatch(/^connection error: /);
  });

  it('retries a truncated JSON body, then succeeds', async () => {
    const text = JSON.stringify(resultsPageBody);
    const s = await serve((_req, res, n) => {
      if (n === 0) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(text.slice(0, 100));
      } else json(res, 200, resultsPageBody);
    });
    const result = await createRacingApiClient({ config: configFor(s), sql: db.sql }).resultsPage(page);
    expect(result.ok).toBe(true);
    expect((await auditRows()).map((r) => [r.status, r.bytes, r.error])).toEqual([
      [200, 100, 'HTTP 200 body is not valid JSON (100 bytes, truncated?)'],
      [200, Buffer.byteLength(text), null],
    ]);
  });

  it('throws TransientApiError once the attempts are spent on truncated JSON, one audit row per attempt', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"results":[{"race_id"');
    });
    const error = await createRacingApiClient({ config: configFor(s, { maxAttempts: 3 }), sql: db.sql })
      .resultsPage(page)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientApiError);
    expect((error as TransientApiError).message).toBe(
      'The Racing API /v1/results failed after 3 attempts: HTTP 200 body is not valid JSON (22 bytes, truncated?)',
    );
    expect(s.requests).toHaveLength(3);
    expect((await auditRows()).map((r) => r.attempt)).toEqual([1, 2, 3]);
  });

  it('throws TransientApiError with the last status when every attempt answers 503', async () => {
    const s = await serve((_req, res) => json(res, 503, { detail: 'Service Unavailable' }));
    const error = await createRacingApiClient({ config: configFor(s), sql: db.sql })
      .courses(['gb'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientApiError);
    expect(error).toMatchObject({ status: 503, attempts: 4 });
    expect((error as Error).message).toBe(
      'The Racing API /v1/courses failed after 4 attempts: HTTP 503: Service Unavailable',
    );
    expect(s.requests).toHaveLength(4);
    expect((await auditRows()).map((r) => [r.attempt, r.status])).toEqual([
      [1, 503],
      [2, 503],
      [3, 503],
      [4, 503],
    ]);
  });

  it('throws at once when Retry-After is longer than allowed, after pushing the shared slot back', async () => {
    const s = await serve((_req, res) => json(res, 429, {}, { 'retry-after': '120' }));
    const error = await createRacingApiClient({ config: configFor(s), sql: db.sql })
      .courses(['gb'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientApiError);
    expect(error).toMatchObject({ status: 429, attempts: 1, retryAfterMs: 120_000 });
    expect((error as Error).message).toMatch(/asked to retry after 120 s \(more than 60 s\)/);
    expect(s.requests).toHaveLength(1);
    const [row] = await db.sql<{ ahead: number }[]>`
      select (extract(epoch from next_slot - clock_timestamp()))::float8 as ahead
      from rate_limit_slots where key = 'racing_api'`;
    expect(row?.ahead).toBeGreaterThan(110);
  });

  it('stops with the abort reason when the signal aborts during the backoff', async () => {
    const s = await serve((_req, res) => json(res, 500, {}));
    const controller = new AbortController();
    const call = createRacingApiClient({
      config: configFor(s, { retryBaseMs: 5000, retryMaxDelayMs: 5000 }),
      sql: db.sql,
      signal: controller.signal,
    }).courses(['gb']);
    await s.received(1);
    await expect.poll(async () => (await auditRows()).length).toBe(1);
    controller.abort(new Error('worker shutting down'));
    await expect(call).rejects.toThrow('worker shutting down');
    expect(s.requests).toHaveLength(1);
  });
});

describe('terminal answers are returned, never retried', () => {
  it.each([
    {
      status: 401,
      body: { detail: 'Not authenticated' },
      reason: 'unauthorized',
      error:
        'The Racing API answered 401 for /v1/racecards/pro: check RACING_API_USERNAME/RACING_API_PASSWORD, or whether your plan includes /v1/racecards/pro (Not authenticated)',
    },
    {
      status: 403,
      body: { detail: 'Forbidden' },
      reason: 'forbidden',
      error: 'The Racing API answered 403 for /v1/racecards/pro: access forbidden (Forbidden)',
    },
    {
      status: 404,
      body: { detail: 'Not Found' },
      reason: 'not_found',
      error: 'The Racing API answered 404 for /v1/racecards/pro: Not Found',
    },
    {
      status: 422,
      body: {
        detail: [
          {
            loc: ['query', 'limit'],
            msg: 'ensure this value is less than or equal to 500',
            type: 'value_error',
          },
          { loc: ['query', 'date'], msg: 'invalid date format', type: 'value_error.date' },
        ],
      },
      reason: 'unprocessable',
      error:
        'The Racing API answered 422 for /v1/racecards/pro: query.limit: ensure this value is less than or equal to 500; query.date: invalid date format',
    },
  ])('$status -> $reason after exactly one request', async ({ status, body, reason, error }) => {
    const s = await serve((_req, res) => json(res, status, body));
    // Pinned: the raw answer, without the account-level settling of a 401/403 (test/accounts covers that).
    const config = configFor(s);
    const pinnedAccountId = accountsOf(config)[0]?.id as string;
    const result = await createRacingApiClient({ config, sql: db.sql, pinnedAccountId }).racecardsPage(page);
    expect(result).toEqual({ ok: false, reason, status, body, bodyText: JSON.stringify(body), error });
    expect(s.requests).toHaveLength(1);
    expect((await auditRows()).map((r) => [r.status, r.attempt, r.error])).toEqual([[status, 1, error]]);
  });

  it('keeps a non-JSON error body as text', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>\n<body>gone</body>\n</html>');
    });
    const result = await createRacingApiClient({ config: configFor(s), sql: db.sql }).horsePro('hrs_1');
    expect(result).toMatchObject({
      ok: false,
      reason: 'not_found',
      body: null,
      bodyText: '<html>\n<body>gone</body>\n</html>',
      error: 'The Racing API answered 404 for /v1/horses/hrs_1/pro: <html> <body>gone</body> </html>',
    });
  });

  it('returns invalid with the failing path and the raw body when the schema does not match', async () => {
    const broken = structuredClone(resultsPageBody) as { results: { runners: Record<string, unknown>[] }[] };
    delete broken.results[0]!.runners[0]!.horse_id;
    const s = await serve((_req, res) => json(res, 200, broken));
    const result = await createRacingApiClient({ config: configFor(s), sql: db.sql }).resultsPage(page);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('invalid');
    expect(result.path).toBe('results.0.runners.0.horse_id');
    expect(result.body).toEqual(broken);
    expect(result.bodyText).toBe(JSON.stringify(broken));
    expect(result.error).toMatch(
      /^The Racing API \/v1\/results answered 200 with an unexpected shape at results\.0\.runners\.0\.horse_id: /,
    );
    expect(s.requests).toHaveLength(1);
  });

  it('rejects a number where the API sends strings', async () => {
    const s = await serve((_req, res) =>
      json(res, 200, {
        ...coursesBody,
        courses: [{ id: 'crs_1', course: 'X', region_code: 'gb', region: 7 }],
      }),
    );
    const result = await createRacingApiClient({ config: configFor(s), sql: db.sql }).courses(['gb']);
    expect(result).toMatchObject({ ok: false, reason: 'invalid', path: 'courses.0.region' });
  });

  it('throws UnexpectedApiResponseError (no retry) for a status with no defined meaning', async () => {
    const s = await serve((_req, res) => json(res, 400, { detail: 'Bad Request' }));
    const error = await createRacingApiClient({ config: configFor(s), sql: db.sql })
      .courses(['gb'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnexpectedApiResponseError);
    expect((error as Error).message).toBe('The Racing API /v1/courses answered HTTP 400: Bad Request');
    expect(s.requests).toHaveLength(1);
  });
});

describe('401 without credentials', () => {
  it('says that the credentials are not set', async () => {
    const s = await serve((_req, res) => json(res, 401, { detail: 'Not authenticated' }));
    const config = configFor(s);
    delete config.username;
    delete config.password;
    const pinnedAccountId = accountsOf(config)[0]?.id as string;
    const result = await createRacingApiClient({ config, sql: db.sql, pinnedAccountId }).horsePro('hrs_1');
    expect(result.ok === false && result.error).toBe(
      'The Racing API answered 401 for /v1/horses/hrs_1/pro: RACING_API_USERNAME/RACING_API_PASSWORD are not set, or whether your plan includes /v1/horses/{horse_id}/pro (Not authenticated)',
    );
  });
});
