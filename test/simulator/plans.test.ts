import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addDays } from '../../src/simulator/format.ts';
import {
  horsePro,
  type Plan,
  racesForDate,
  resultsWindowStart,
  type Simulator,
  startSimulator,
} from '../../src/simulator/index.ts';

const TODAY = '2025-10-14';
const SEED = 'plans-test';
const PASSWORDS: Record<Plan, string> = {
  basic: 'pw-basic',
  standard: 'pw-standard',
  pro: 'pw-pro',
  'pro-historical': 'pw-hist',
};
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({
    today: TODAY,
    seed: SEED,
    accounts: (Object.keys(PASSWORDS) as Plan[]).map((plan) => ({
      username: `u-${plan}`,
      password: PASSWORDS[plan],
      plan,
    })),
  });
});
afterAll(async () => {
  await sim.close();
});

function auth(username: string, password: string): RequestInit {
  return { headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } };
}

const as = (plan: Plan) => auth(`u-${plan}`, PASSWORDS[plan]);

async function get(
  base: string,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(new URL(path, base), init);
  return { status: res.status, body: await res.json() };
}

const results = (date: string, end = date) => `results?start_date=${date}&end_date=${end}`;

/** A horse the pro endpoint answers 200 for. */
function knownHorse(): string {
  const id = racesForDate('2025-10-04', undefined, SEED)
    .flatMap((r) => r.runners)
    .map((r) => r.horse.id)
    .find((horseId) => horsePro(horseId, SEED) !== null);
  if (id === undefined) throw new Error('no horse with a pro profile');
  return id;
}

describe('plans', () => {
  test('each plan answers 401 for the endpoints and dates it lacks', async () => {
    const paths = [
      'courses',
      results('2025-10-01'),
      results('2015-03-07'),
      `racecards/pro?date=${TODAY}`,
      `horses/${knownHorse()}/pro`,
    ];
    const expected: Record<Plan, number[]> = {
      basic: [200, 401, 401, 401, 401],
      standard: [200, 200, 401, 401, 401],
      pro: [200, 200, 401, 200, 200],
      'pro-historical': [200, 200, 200, 200, 200],
    };
    for (const plan of Object.keys(expected) as Plan[]) {
      const statuses: number[] = [];
      for (const path of paths) statuses.push((await get(sim.url, path, as(plan))).status);
      expect({ plan, statuses }).toEqual({ plan, statuses: expected[plan] });
    }
  });

  test('the 401 bodies say what is missing, FastAPI style; bad credentials and unknown paths are unchanged', async () => {
    expect(await get(sim.url, results('2025-10-01'), as('basic'))).toEqual({
      status: 401,
      body: { detail: 'Your plan does not include /v1/results: it requires the Standard plan or above' },
    });
    expect((await get(sim.url, `racecards/pro?date=${TODAY}`, as('standard'))).body).toEqual({
      detail: 'Your plan does not include /v1/racecards/pro: it requires the Pro plan or above',
    });
    expect((await get(sim.url, 'horses/hrs_1/pro', as('standard'))).body).toEqual({
      detail: 'Your plan does not include /v1/horses/{horse_id}/pro: it requires the Pro plan or above',
    });
    expect((await get(sim.url, results('2015-03-07'), as('pro'))).body).toEqual({
      detail:
        'Your plan does not include results older than 12 months: they require the historical results add-on (Pro plan)',
    });
    expect(await get(sim.url, 'courses', auth('u-pro', PASSWORDS.basic))).toEqual({
      status: 401,
      body: { detail: 'Invalid credentials' },
    });
    expect(await get(sim.url, 'jockeys', as('basic'))).toEqual({
      status: 404,
      body: { detail: 'Not Found' },
    });
    // Query validation still comes first for the dates it needs.
    expect((await get(sim.url, 'results?start_date=2015-13-01', as('standard'))).status).toBe(422);
  });

  test('the 12-month window starts on the same calendar day a year before today', async () => {
    expect(resultsWindowStart(TODAY)).toBe('2024-10-14');
    expect(resultsWindowStart('2024-02-29')).toBe('2023-02-28');
    expect(resultsWindowStart('2025-03-01')).toBe('2024-03-01');
    expect((await get(sim.url, results('2024-10-14'), as('standard'))).status).toBe(200);
    expect((await get(sim.url, results('2024-10-13'), as('standard'))).status).toBe(401);
    // A range reaching before the window is refused as a whole.
    expect((await get(sim.url, results('2024-10-13', '2024-10-20'), as('standard'))).status).toBe(401);
    expect((await get(sim.url, results('2024-10-13', '2024-10-20'), as('pro-historical'))).status).toBe(200);
  });

  test('without credentials the plan option applies to every request; the default plan allows everything', async () => {
    const open = await startSimulator({ today: TODAY, seed: SEED });
    const basic = await startSimulator({ today: TODAY, seed: SEED, plan: 'basic' });
    try {
      expect((await get(open.url, results('2015-03-07'))).status).toBe(200);
      expect((await get(open.url, `racecards/pro?date=${TODAY}`)).status).toBe(200);
      expect((await get(basic.url, results('2025-10-01'))).status).toBe(401);
      expect((await get(basic.url, 'courses')).status).toBe(200);
      expect(basic.stats().byAccount).toEqual({ anonymous: 2 });
    } finally {
      await Promise.all([open.close(), basic.close()]);
    }
  });

  test('setPlan changes one account or all of them at runtime', async () => {
    const s = await startSimulator({
      today: TODAY,
      seed: SEED,
      plan: 'standard',
      accounts: [
        { username: 'a', password: 'x' },
        { username: 'b', password: 'y', plan: 'pro-historical' },
      ],
    });
    try {
      const card = `racecards/pro?date=${TODAY}`;
      expect((await get(s.url, card, auth('a', 'x'))).status).toBe(401);
      s.setPlan('pro', 'a');
      expect((await get(s.url, card, auth('a', 'x'))).status).toBe(200);
      expect((await get(s.url, results('2015-03-07'), auth('a', 'x'))).status).toBe(401);
      expect((await get(s.url, results('2015-03-07'), auth('b', 'y'))).status).toBe(200);
      s.setPlan('basic');
      expect((await get(s.url, results('2025-10-01'), auth('b', 'y'))).status).toBe(401);
      expect(() => s.setPlan('pro', 'nobody')).toThrow('setPlan: no such account');
    } finally {
      await s.close();
    }
  });
});

describe('several accounts', () => {
  test('each account has its own credentials and its own rate-limit window', async () => {
    const s = await startSimulator({
      today: TODAY,
      ratePerSec: 2,
      // A frozen clock: every request of the bursts falls in one window, however slowly they arrive.
      clock: () => 1_000_000,
      username: 'first',
      password: 'one',
      accounts: [{ username: 'second', password: 'two' }],
    });
    try {
      const burst = (init: RequestInit) =>
        Array.from({ length: 3 }, () =>
          fetch(`${s.url}courses`, init).then(async (r) => {
            await r.arrayBuffer();
            return r.status;
          }),
        );
      const statuses = await Promise.all([...burst(auth('first', 'one')), ...burst(auth('second', 'two'))]);
      // 2 per second per account: each account's third request is refused, the other account's budget untouched.
      expect(statuses.slice(0, 3).sort()).toEqual([200, 200, 429]);
      expect(statuses.slice(3).sort()).toEqual([200, 200, 429]);
      expect((await get(s.url, 'courses', auth('second', 'one'))).status).toBe(401);
      expect(s.stats().byAccount).toEqual({ first: 3, second: 3 });
      expect(s.stats().byStatus).toEqual({ '200': 4, '429': 2, '401': 1 });
    } finally {
      await s.close();
    }
  });

  test('usernames must be distinct', async () => {
    await expect(
      startSimulator({ username: 'a', password: 'x', accounts: [{ username: 'a', password: 'y' }] }),
    ).rejects.toThrow('simulator accounts must have distinct usernames');
  });
});

describe('setToday', () => {
  test('moves the racecard window, "no results from today on" and the 12-month window', async () => {
    const s = await startSimulator({ today: TODAY, seed: SEED, plan: 'pro' });
    try {
      const later = addDays(TODAY, 3);
      const total = async (path: string) => ((await get(s.url, path)).body as { total: number }).total;
      expect(await total(`racecards/pro?date=${addDays(TODAY, 8)}`)).toBe(0);
      expect(await total(results(TODAY))).toBe(0);
      expect((await get(s.url, results('2024-10-15'))).status).toBe(200);
      s.setToday(later);
      expect(await total(`racecards/pro?date=${addDays(TODAY, 8)}`)).toBeGreaterThan(0);
      const expectedToday = racesForDate(TODAY, undefined, SEED).filter((r) => !r.isAbandoned).length;
      expect(expectedToday).toBeGreaterThan(0);
      expect(await total(results(TODAY))).toBe(expectedToday);
      expect(await total(results(later))).toBe(0);
      expect((await get(s.url, results('2024-10-15'))).status).toBe(401);
      expect((await get(s.url, results('2024-10-17'))).status).toBe(200);
      expect(() => s.setToday('2025-02-30')).toThrow("today must be YYYY-MM-DD, not '2025-02-30'");
      // Back to the real clock: still no results for the real today.
      s.setToday(undefined);
      const realToday = new Date().toISOString().slice(0, 10);
      expect(await total(results(realToday))).toBe(0);
    } finally {
      await s.close();
    }
  });
});
