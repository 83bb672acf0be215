import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addDays } from '../../src/simulator/format.ts';
import { racesForDate, type Simulator, startSimulator } from '../../src/simulator/index.ts';

type Row = Record<string, unknown>;
const TODAY = '2025-10-14';
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ today: TODAY, seed: 'server-test' });
});
afterAll(async () => {
  await sim.close();
});

async function getJson(
  base: string,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: Row }> {
  const res = await fetch(new URL(path, base), init);
  return { status: res.status, body: (await res.json()) as Row };
}

/** A Saturday with more than 50 races so results paging at 50 really pages. */
function busyDate(): string {
  for (let d = '2025-01-04'; ; d = addDays(d, 7)) {
    if (racesForDate(d, undefined, 'server-test').filter((r) => !r.isAbandoned).length > 50) return d;
  }
}

describe('results and racecards', () => {
  test('results page by skip/limit; pages concatenate to every race; the query is echoed', async () => {
    const date = busyDate();
    const ids: string[] = [];
    let total = -1;
    for (let skip = 0; ; skip += 50) {
      const { status, body } = await getJson(
        sim.url,
        `results?start_date=${date}&end_date=${date}&region=gb&region=ire&limit=50&skip=${skip}`,
      );
      expect(status).toBe(200);
      expect(body.limit).toBe(50);
      expect(body.skip).toBe(skip);
      total = body.total as number;
      const results = body.results as Row[];
      ids.push(...results.map((r) => r.race_id as string));
      expect(body.query).toEqual([
        ['start_date', date],
        ['end_date', date],
        ['region', 'gb'],
        ['region', 'ire'],
        ['limit', '50'],
        ['skip', String(skip)],
      ]);
      if (skip + results.length >= total || results.length === 0) break;
    }
    expect(total).toBeGreaterThan(50);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    const expected = racesForDate(date, undefined, 'server-test').filter((r) => !r.isAbandoned);
    expect(ids).toEqual(expected.map((r) => r.raceId));
    // Default limit is 25 (2025 spec).
    const first = await getJson(sim.url, `results?start_date=${date}&end_date=${date}`);
    expect(first.body.limit).toBe(25);
    expect(first.body.results as Row[]).toHaveLength(25);
  });

  test('bad limits and missing parameters answer 422 with a FastAPI body', async () => {
    for (const limit of ['0', '51', 'x']) {
      const { status, body } = await getJson(
        sim.url,
        `results?start_date=2025-10-01&end_date=2025-10-01&limit=${limit}`,
      );
      expect(status).toBe(422);
      expect((body.detail as Row[])[0]?.loc).toEqual(['query', 'limit']);
    }
    expect((await getJson(sim.url, 'racecards/pro?limit=10')).body).toEqual({
      detail: [{ loc: ['query', 'date'], msg: 'field required', type: 'value_error.missing' }],
    });
    expect((await getJson(sim.url, 'racecards/pro?date=2025-10-01&limit=501')).status).toBe(422);
    const wide = await startSimulator({ resultsLimitMax: 100, today: TODAY });
    try {
      const ok = await getJson(wide.url, 'results?start_date=2025-10-01&end_date=2025-10-01&limit=100');
      expect(ok.status).toBe(200);
      expect(
        (await getJson(wide.url, 'results?start_date=2025-10-01&end_date=2025-10-01&limit=101')).status,
      ).toBe(422);
    } finally {
      await wide.close();
    }
  });

  test('region filters use repeated keys; regions partition the day', async () => {
    const date = '2025-10-11';
    const q = (r: string) => getJson(sim.url, `racecards/pro?date=${date}${r}`);
    const all = (await q('')).body;
    const both = (await q('&region_codes=gb&region_codes=ire')).body;
    const gb = (await q('&region_codes=gb')).body;
    const ire = (await q('&region_codes=ire')).body;
    expect(both.total).toBe(all.total);
    expect((gb.total as number) + (ire.total as number)).toBe(all.total);
    expect((gb.racecards as Row[]).every((c) => c.region === 'GB')).toBe(true);
    expect((ire.racecards as Row[]).every((c) => c.region === 'IRE')).toBe(true);
    expect(ire.total).toBeGreaterThan(0);
    const res = await getJson(sim.url, `results?start_date=${date}&end_date=${date}&region=ire&limit=50`);
    expect((res.body.results as Row[]).every((r) => r.region === 'IRE')).toBe(true);
    const courses = await getJson(sim.url, 'courses?region_codes=ire');
    expect(
      (courses.body.courses as Row[]).every((c) => c.region_code === 'ire' && c.region === 'Ireland'),
    ).toBe(true);
    const allCourses = await getJson(sim.url, 'courses?region_codes=gb&region_codes=ire');
    expect(allCourses.body.total).toBeGreaterThan(85);
    expect(
      (allCourses.body.courses as Row[]).some((c) => c.course === 'Kempton (AW)' && c.id === 'crs_28054'),
    ).toBe(true);
  });

  test('racecard window and results from today on', async () => {
    const empty = await getJson(sim.url, 'racecards/pro?date=2023-01-22');
    expect(empty).toEqual({
      status: 200,
      body: { racecards: [], total: 0, limit: 500, skip: 0, query: [['date', '2023-01-22']] },
    });
    expect((await getJson(sim.url, 'racecards/pro?date=2023-01-23')).body.total).toBeGreaterThan(0);
    const ahead = addDays(TODAY, 7);
    const future = await getJson(sim.url, `racecards/pro?date=${ahead}`);
    expect(future.body.total).toBeGreaterThan(0);
    expect((await getJson(sim.url, `racecards/pro?date=${addDays(TODAY, 8)}`)).body.total).toBe(0);
    // Racecards for the future and today, results neither.
    expect((await getJson(sim.url, `results?start_date=${ahead}&end_date=${ahead}`)).body.total).toBe(0);
    expect((await getJson(sim.url, `results?start_date=${TODAY}&end_date=${TODAY}`)).body.total).toBe(0);
    expect(
      (await getJson(sim.url, `results?start_date=2015-03-07&end_date=2015-03-07`)).body.total,
    ).toBeGreaterThan(0);
    // Range: two days = sum of the singles.
    const one = (await getJson(sim.url, 'results?start_date=2025-10-01&end_date=2025-10-01')).body
      .total as number;
    const two = (await getJson(sim.url, 'results?start_date=2025-10-02&end_date=2025-10-02')).body
      .total as number;
    expect((await getJson(sim.url, 'results?start_date=2025-10-01&end_date=2025-10-02')).body.total).toBe(
      one + two,
    );

    for (const [mode, status] of [
      ['404', 404],
      ['422', 422],
    ] as const) {
      const strict = await startSimulator({ outsideWindow: mode, today: TODAY });
      try {
        expect((await getJson(strict.url, 'racecards/pro?date=2022-12-31')).status).toBe(status);
        expect((await getJson(strict.url, `racecards/pro?date=${addDays(TODAY, 8)}`)).status).toBe(status);
        expect((await getJson(strict.url, `racecards/pro?date=${TODAY}`)).status).toBe(200);
      } finally {
        await strict.close();
      }
    }
  });

  test('horse pro over HTTP, ancestors via hrs_ digits, unknown paths 404', async () => {
    const runner = racesForDate('2025-10-04', undefined, 'server-test')[0]?.runners[0];
    expect(runner).toBeDefined();
    let found = 0;
    for (const r of racesForDate('2025-10-04', undefined, 'server-test')
      .slice(0, 3)
      .flatMap((x) => x.runners)) {
      const pro = await getJson(sim.url, `horses/${r.horse.id}/pro`);
      if (pro.status === 404) {
        expect(pro.body).toEqual({ detail: 'Not Found' });
        continue;
      }
      found++;
      expect(pro.body.id).toBe(r.horse.id);
      const sire = await getJson(sim.url, `horses/hrs_${(pro.body.sire_id as string).slice(4)}/pro`);
      if (sire.status === 200) expect(sire.body.name).toBe(pro.body.sire);
    }
    expect(found).toBeGreaterThan(10);
    for (const path of ['horses', 'horses/list', 'jockeys', 'horses/hrs_1/pro', 'results/', 'nothing']) {
      expect(await getJson(sim.url, path)).toEqual({ status: 404, body: { detail: 'Not Found' } });
    }
  });
});

describe('auth, limits and faults', () => {
  test('Basic auth: wrong or missing credentials answer 401', async () => {
    const locked = await startSimulator({ username: 'kit', password: 's3cret', today: TODAY });
    try {
      const good = `Basic ${Buffer.from('kit:s3cret').toString('base64')}`;
      const bad = `Basic ${Buffer.from('kit:nope').toString('base64')}`;
      expect(await getJson(locked.url, 'courses')).toEqual({
        status: 401,
        body: { detail: 'Invalid credentials' },
      });
      expect((await getJson(locked.url, 'courses', { headers: { authorization: bad } })).status).toBe(401);
      expect((await getJson(locked.url, 'courses', { headers: { authorization: good } })).status).toBe(200);
      expect(locked.stats().byStatus).toEqual({ '401': 2, '200': 1 });
      // Only requests that passed the credential check are counted per account.
      expect(locked.stats().byAccount).toEqual({ kit: 1 });
    } finally {
      await locked.close();
    }
  });

  test('rate limit: requests past the per-second budget answer 429 (with Retry-After when configured)', async () => {
    const limited = await startSimulator({
      ratePerSec: 2,
      retryAfterOn429: 1,
      today: TODAY,
      clock: () => 1_000_000,
    });
    try {
      const replies = await Promise.all(Array.from({ length: 6 }, () => fetch(`${limited.url}courses`)));
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 200)).toHaveLength(2);
      const refused = replies.filter((r) => r.status === 429);
      expect(refused).toHaveLength(4);
      expect(refused[0]?.headers.get('retry-after')).toBe('1');
      expect(await refused[0]?.json()).toEqual({ detail: 'Too Many Requests' });
      await Promise.all(replies.slice(1).map((r) => (r.bodyUsed ? null : r.arrayBuffer())));
      const stats = limited.stats();
      expect(stats.total).toBe(6);
      expect(stats.byEndpoint.courses).toBe(6);
      expect(stats.byStatus).toEqual({ '200': 2, '429': 4 });
      expect(stats.arrivals).toHaveLength(6);
    } finally {
      await limited.close();
    }
  });

  test('cloudflare mode: a burst starts a cool-off', async () => {
    const guarded = await startSimulator({
      cloudflare: { maxRequests: 3, windowMs: 10_000, coolOffMs: 60_000 },
      clock: () => 1_000_000,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const reply = await fetch(`${guarded.url}courses`);
        await reply.arrayBuffer();
        statuses.push(reply.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await guarded.close();
    }
  });

  test('every fault kind is observable with fetch, in order, and counted', async () => {
    sim.resetStats();
    sim.injectFaults([
      { endpoint: 'courses', kind: '500', count: 1 },
      { endpoint: 'courses', kind: '503', count: 1 },
      { endpoint: 'courses', kind: '429', count: 1, retryAfterSec: 7 },
      { endpoint: 'courses', kind: '401', count: 1 },
    ]);
    expect((await getJson(sim.url, 'horses/hrs_1/pro')).status).toBe(404); // other endpoints unaffected
    expect(await getJson(sim.url, 'courses')).toEqual({
      status: 500,
      body: { detail: 'Internal Server Error' },
    });
    expect((await getJson(sim.url, 'courses')).status).toBe(503);
    const limited = await fetch(`${sim.url}courses`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    await limited.arrayBuffer();
    expect((await getJson(sim.url, 'courses')).status).toBe(401);
    expect((await getJson(sim.url, 'courses')).status).toBe(200);

    sim.injectFaults([{ kind: 'slow', delayMs: 2_000, count: 1 }]);
    await expect(fetch(`${sim.url}courses`, { signal: AbortSignal.timeout(200) })).rejects.toThrow(
      /abort|timeout/i,
    );
    sim.injectFaults([{ kind: 'slow', delayMs: 50, count: 1 }]);
    expect((await getJson(sim.url, 'courses')).status).toBe(200);

    sim.injectFaults([{ kind: 'reset', count: 1 }]);
    await expect(fetch(`${sim.url}courses`)).rejects.toThrow();

    sim.injectFaults([{ endpoint: 'results', kind: 'truncated', count: 1 }]);
    const truncated = await fetch(`${sim.url}results?start_date=2025-10-01&end_date=2025-10-01`);
    expect(truncated.status).toBe(200);
    await expect(truncated.json()).rejects.toThrow();

    sim.injectFaults([
      { endpoint: 'results', kind: 'missing-field', count: 1 },
      { endpoint: 'horses', kind: 'missing-field', count: 1 },
    ]);
    const broken = await getJson(sim.url, 'results?start_date=2025-10-01&end_date=2025-10-01');
    expect(broken.status).toBe(200);
    const races = broken.body.results as Row[];
    expect(races[0]).not.toHaveProperty('race_id');
    expect(races[1]).toHaveProperty('race_id');
    const horseId = racesForDate('2025-10-01', undefined, 'server-test')
      .flatMap((r) => r.runners)
      .map((r) => r.horse.id)
      .find((id) => !id.endsWith('0'));
    const pro = await getJson(sim.url, `horses/${horseId}/pro`);
    if (pro.status === 200) expect(pro.body).not.toHaveProperty('id');
    expect(
      (await getJson(sim.url, 'results?start_date=2025-10-01&end_date=2025-10-01')).body.results,
    ).toSatisfy((list: Row[]) => list.every((r) => typeof r.race_id === 'string'));

    sim.injectFaults([{ kind: '500', count: 5 }]);
    sim.clearFaults();
    expect((await getJson(sim.url, 'courses')).status).toBe(200);

    const stats = sim.stats();
    expect(stats.byEndpoint).toEqual({ results: 3, racecards: 0, horses: 2, courses: 9, other: 0 });
    expect(stats.total).toBe(14);
    expect(stats.byStatus['500']).toBe(1);
    expect(stats.byStatus['503']).toBe(1);
    expect(stats.byStatus['429']).toBe(1);
    expect(stats.byStatus['401']).toBe(1);
    expect(stats.byStatus.reset).toBe(1);
  });
});
