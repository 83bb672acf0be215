/**
 * The local Racing API simulator: a node:http server with HTTP Basic auth for one or several accounts, each with its
 * plan (plans.ts: what it lacks answers 401) and its own sliding-window rate limit, an optional Cloudflare-style burst
 * cool-off, a clock that tests can move, injectable faults and request statistics. Data comes from the
 * deterministic generator (data.ts) rendered by pages.ts. Used by tests, the demo and benchmarks only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { addDays, parseDate, todayUtc } from './format.ts';
import { CloudflareGuard, type CloudflareOptions, SlidingWindowLimiter } from './limits.ts';
import {
  coursesPage,
  horsePro,
  type PageQuery,
  racecardsPageJson,
  regionsList,
  resultsPageJson,
} from './pages.ts';
import { DEFAULT_PLAN, endpointRefusal, type Plan, resultsDateRefusal } from './plans.ts';
import { dateParam, intParam, missing, QueryError } from './validation.ts';

export interface SimulatorOptions {
  /** 0 (default) = random free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** When set, require HTTP Basic with these (or one of `accounts`), else 401 {"detail":"Invalid credentials"}. */
  username?: string;
  password?: string;
  /**
   * More credential pairs, each its own account: its own rate-limit window and plan. With neither these nor
   * username/password, no credentials are asked for and every request is one anonymous account.
   */
  accounts?: SimulatorAccount[];
  /** Plan of username/password, of accounts without their own, and of anonymous access; default 'pro-historical'. */
  plan?: Plan;
  /** Per-account limit; undefined/0 = unlimited. Sliding 1-second window over accepted arrivals; 429s do not count. */
  ratePerSec?: number;
  /** Seconds; when set, 429s carry Retry-After. */
  retryAfterOn429?: number;
  /** Burst cool-off mode: more than maxRequests within windowMs answers 429 for coolOffMs. */
  cloudflare?: CloudflareOptions;
  /** 2025 spec 50 (default) or v1.4.3 100; limit outside 1..max -> 422. */
  resultsLimitMax?: 50 | 100;
  /** racecards/pro answer for dates before 2023-01-23 or after today+7 (default 'empty'). */
  outsideWindow?: 'empty' | '404' | '422';
  /**
   * 'YYYY-MM-DD' for the racecard window, "no results from today on" and the 12-month results window; default the
   * real current UTC date. Changeable later with Simulator.setToday.
   */
  today?: string;
  /**
   * The clock of the rate limits and arrival stamps, ms since the epoch (default the real one). Tests that
   * check the window's arithmetic freeze it, so a slow machine cannot spread a burst over two windows.
   */
  clock?: () => number;
  /** Data variation; same seed + date = identical data. */
  seed?: string;
  /** Default 1 (~35 GB+IRE races/day). */
  racesPerDayScale?: number;
}

export interface SimulatorAccount {
  username: string;
  password: string;
  /** Default: SimulatorOptions.plan. */
  plan?: Plan;
}

export type Endpoint = 'results' | 'racecards' | 'horses' | 'courses' | 'other';

export interface SimulatorStats {
  total: number;
  byEndpoint: Record<Endpoint, number>;
  byStatus: Record<string, number>;
  /** ms timestamps of every request received. */
  arrivals: number[];
  /** Requests that passed the credential check, by username ('anonymous' when none are asked for). */
  byAccount: Record<string, number>;
}

export interface FaultRule {
  endpoint?: 'results' | 'racecards' | 'horses' | 'courses';
  kind: '500' | '503' | '429' | 'slow' | 'reset' | 'truncated' | 'missing-field' | '401';
  count: number;
  retryAfterSec?: number;
  delayMs?: number;
}

export interface Simulator {
  /** Base URL ending in '/v1/', e.g. 'http://127.0.0.1:40123/v1/'. */
  url: string;
  port: number;
  stats(): SimulatorStats;
  resetStats(): void;
  /** Each rule applies to the next `count` matching requests, first matching rule first. */
  injectFaults(rules: FaultRule[]): void;
  clearFaults(): void;
  /** Moves the simulator's clock to this 'YYYY-MM-DD' (undefined: back to the real UTC date). */
  setToday(date: string | undefined): void;
  /**
   * Test hook for amendments: every results/racecards page body passes through `edit` (it may change the
   * parsed page in place) before it is sent; undefined removes the hook.
   */
  editPages(edit: PageEdit | undefined): void;
  /** Changes the plan of one account (by username), or of every account and anonymous access without one. */
  setPlan(plan: Plan, username?: string): void;
  close(): Promise<void>;
}

/** Changes a parsed results or racecards page in place (Simulator.editPages). */
export type PageEdit = (endpoint: 'results' | 'racecards', page: Record<string, unknown>) => void;

/** First day racecards/pro serves. */
export const RACECARD_WINDOW_START = '2023-01-23';
const RACECARD_DAYS_AHEAD = 7;
const RESULTS_MAX_SKIP = 20_000;
const RACECARDS_MAX_SKIP = 500;
const RESULTS_MAX_RANGE_DAYS = 366;

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const detail = (status: number, text: string): Reply => ({ status, body: JSON.stringify({ detail: text }) });
const NOT_FOUND = (): Reply => detail(404, 'Not Found');

function classify(path: string): Endpoint {
  if (path === '/v1/results') return 'results';
  if (path === '/v1/racecards/pro') return 'racecards';
  if (path === '/v1/courses' || path === '/v1/courses/regions') return 'courses';
  if (/^\/v1\/horses\/[^/]+\/pro$/.test(path)) return 'horses';
  return 'other';
}

function emptyStats(): SimulatorStats {
  return {
    total: 0,
    byEndpoint: { results: 0, racecards: 0, horses: 0, courses: 0, other: 0 },
    byStatus: {},
    arrivals: [],
    byAccount: {},
  };
}

function pairs(params: URLSearchParams): [string, string][] {
  return [...params.entries()];
}

function datesBetween(start: string, end: string): string[] {
  const dates: string[] = [];
  for (let d = start; d <= end; d = addDays(d, 1)) dates.push(d);
  return dates;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const seed = options.seed ?? 'default';
  const scale = options.racesPerDayScale ?? 1;
  const resultsLimitMax = options.resultsLimitMax ?? 50;
  const outsideWindow = options.outsideWindow ?? 'empty';
  const limiter = options.ratePerSec ? new SlidingWindowLimiter(options.ratePerSec) : null;
  const cloudflare = options.cloudflare ? new CloudflareGuard(options.cloudflare) : null;
  const accounts = accountsByAuthorization(options);
  const anonymous: AccountState = { username: ANONYMOUS, plan: options.plan ?? DEFAULT_PLAN };
  let currentToday = checkedToday(options.today);
  let stats = emptyStats();
  let faults: FaultRule[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  const today = (): string => currentToday ?? todayUtc();

  const tooMany = (retryAfter?: number): Reply => {
    const reply = detail(429, 'Too Many Requests');
    if (retryAfter !== undefined) reply.headers = { 'Retry-After': String(retryAfter) };
    return reply;
  };

  function results(params: URLSearchParams, plan: Plan): Reply {
    const limit = intParam(params, 'limit', resultsLimitMax === 100 ? 50 : 25, 1, resultsLimitMax);
    const skip = intParam(params, 'skip', 0, 0, RESULTS_MAX_SKIP);
    const start = dateParam(params, 'start_date');
    const end = dateParam(params, 'end_date');
    // The real API allows omitting both (then it answers recent results); the simulator asks for at least one.
    if (start === null && end === null) throw missing('start_date');
    const from = start ?? (end as string);
    const to = end ?? from;
    if ((parseDate(to) as number) - (parseDate(from) as number) > RESULTS_MAX_RANGE_DAYS * 86_400_000) {
      throw new QueryError([
        { loc: ['query', 'end_date'], msg: 'date range must not exceed 365 days', type: 'value_error' },
      ]);
    }
    // After validation, as the endpoint's own check would be; the plan's endpoint check comes before it.
    const refusal = resultsDateRefusal(plan, from, today());
    if (refusal !== null) return detail(401, refusal);
    // No results for today or later in the simulator.
    const lastResultDay = addDays(today(), -1);
    const until = [to, lastResultDay].sort()[0] as string; // ISO dates compare as strings
    const dates = from <= until ? datesBetween(from, until) : [];
    const query: PageQuery = {
      regions: params.getAll('region'),
      courses: params.getAll('course'),
      limit,
      skip,
      query: pairs(params),
    };
    return { status: 200, body: resultsPageJson(dates, query, seed, scale) };
  }

  function racecards(params: URLSearchParams): Reply {
    const date = dateParam(params, 'date');
    if (date === null) throw missing('date');
    const limit = intParam(params, 'limit', 500, 1, 500);
    const skip = intParam(params, 'skip', 0, 0, RACECARDS_MAX_SKIP);
    const query: PageQuery = {
      regions: params.getAll('region_codes'),
      courses: params.getAll('course_ids'),
      limit,
      skip,
      query: pairs(params),
    };
    if (date < RACECARD_WINDOW_START || date > addDays(today(), RACECARD_DAYS_AHEAD)) {
      if (outsideWindow === '404') return NOT_FOUND();
      if (outsideWindow === '422') {
        throw new QueryError([
          {
            loc: ['query', 'date'],
            msg: `date must be between ${RACECARD_WINDOW_START} and ${RACECARD_DAYS_AHEAD} days ahead`,
            type: 'value_error',
          },
        ]);
      }
      return {
        status: 200,
        body: JSON.stringify({ racecards: [], total: 0, limit, skip, query: query.query }),
      };
    }
    return { status: 200, body: racecardsPageJson(date, query, seed, scale) };
  }

  let pageEdit: PageEdit | undefined;
  function edited(endpoint: 'results' | 'racecards', reply: Reply): Reply {
    if (!pageEdit || reply.status !== 200) return reply;
    const page = JSON.parse(reply.body) as Record<string, unknown>;
    pageEdit(endpoint, page);
    return { ...reply, body: JSON.stringify(page) };
  }

  function route(endpoint: Endpoint, path: string, params: URLSearchParams, plan: Plan): Reply {
    try {
      switch (endpoint) {
        case 'results':
          return edited('results', results(params, plan));
        case 'racecards':
          return edited('racecards', racecards(params));
        case 'courses':
          if (path.endsWith('/regions')) return { status: 200, body: JSON.stringify(regionsList()) };
          return { status: 200, body: JSON.stringify(coursesPage(params.getAll('region_codes'))) };
        case 'horses': {
          const id = decodeURIComponent(path.split('/')[3] ?? '');
          const horse = horsePro(id, seed);
          return horse ? { status: 200, body: JSON.stringify(horse) } : NOT_FOUND();
        }
        default:
          return NOT_FOUND();
      }
    } catch (error) {
      if (error instanceof QueryError) return { status: 422, body: JSON.stringify({ detail: error.issues }) };
      throw error;
    }
  }

  function takeFault(endpoint: Endpoint): FaultRule | null {
    const index = faults.findIndex(
      (f) => f.count > 0 && (f.endpoint === undefined || f.endpoint === endpoint),
    );
    if (index < 0) return null;
    const rule = faults[index] as FaultRule;
    rule.count--;
    if (rule.count <= 0) faults.splice(index, 1);
    return rule;
  }

  function countStatus(status: string): void {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
  }

  function send(res: ServerResponse, reply: Reply): void {
    countStatus(String(reply.status));
    if (res.destroyed) return;
    res.writeHead(reply.status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(reply.body),
      ...reply.headers,
    });
    res.end(reply.body);
  }

  /** The reply to send, or undefined when the fault kind answers (or not) by itself. */
  function handle(req: IncomingMessage, res: ServerResponse): Reply | undefined {
    const now = options.clock ? options.clock() : performance.timeOrigin + performance.now();
    const url = new URL(req.url ?? '/', 'http://simulator');
    const endpoint = classify(url.pathname);
    stats.total++;
    stats.byEndpoint[endpoint]++;
    stats.arrivals.push(now);

    if (cloudflare?.refuses(now)) {
      return tooMany(options.retryAfterOn429 === undefined ? undefined : cloudflare.remainingSec(now));
    }
    const account = accounts.size === 0 ? anonymous : accounts.get(req.headers.authorization ?? '');
    if (account === undefined) return detail(401, 'Invalid credentials');
    stats.byAccount[account.username] = (stats.byAccount[account.username] ?? 0) + 1;
    if (limiter && !limiter.tryAccept(account.username, now)) {
      return tooMany(options.retryAfterOn429);
    }
    // The plan is checked after the rate limit: a refused endpoint still costs the account a request.
    const refusal = endpoint === 'other' ? null : endpointRefusal(account.plan, endpoint);
    if (refusal !== null) return detail(401, refusal);
    const plan = account.plan;
    const fault = takeFault(endpoint);
    if (!fault) return route(endpoint, url.pathname, url.searchParams, plan);
    switch (fault.kind) {
      case '500':
        return detail(500, 'Internal Server Error');
      case '503':
        return detail(503, 'Service Unavailable');
      case '401':
        return detail(401, 'Invalid credentials');
      case '429':
        return tooMany(fault.retryAfterSec ?? options.retryAfterOn429);
      case 'reset':
        countStatus('reset');
        req.socket.destroy();
        return undefined;
      case 'slow': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send(res, route(endpoint, url.pathname, url.searchParams, plan));
        }, fault.delayMs ?? 35_000);
        timers.add(timer);
        return undefined;
      }
      case 'truncated': {
        const reply = route(endpoint, url.pathname, url.searchParams, plan);
        countStatus(String(reply.status));
        const full = Buffer.from(reply.body);
        res.writeHead(reply.status, { 'Content-Type': 'application/json', 'Content-Length': full.length });
        // Half the promised bytes, then the connection goes away: the client sees a body cut short.
        res.write(full.subarray(0, Math.floor(full.length / 2)), () => res.socket?.destroy());
        return undefined;
      }
      case 'missing-field': {
        const reply = route(endpoint, url.pathname, url.searchParams, plan);
        if (reply.status === 200) reply.body = JSON.stringify(withoutRequiredField(JSON.parse(reply.body)));
        return reply;
      }
    }
  }

  const server = createServer((req, res) => {
    try {
      const reply = handle(req, res);
      if (reply) send(res, reply);
    } catch (error) {
      send(res, detail(500, error instanceof Error ? error.message : 'Internal Server Error'));
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}/v1/`,
    port: address.port,
    stats: () => structuredClone(stats),
    resetStats: () => {
      stats = emptyStats();
    },
    injectFaults: (rules) => {
      faults.push(...rules.filter((r) => r.count > 0).map((r) => ({ ...r })));
    },
    clearFaults: () => {
      faults = [];
    },
    editPages: (edit) => {
      pageEdit = edit;
    },
    setToday: (date) => {
      currentToday = checkedToday(date);
    },
    setPlan: (plan, username) => {
      const matching = [...accounts.values()].filter(
        (a) => username === undefined || a.username === username,
      );
      if (username !== undefined && matching.length === 0) throw new Error('setPlan: no such account');
      for (const account of matching) account.plan = plan;
      if (username === undefined) anonymous.plan = plan;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

const ANONYMOUS = 'anonymous';

interface AccountState {
  username: string;
  plan: Plan;
}

function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** Every configured credential pair by its Authorization header; empty when no credentials are asked for. */
function accountsByAuthorization(options: SimulatorOptions): Map<string, AccountState> {
  const plan = options.plan ?? DEFAULT_PLAN;
  const pairs: SimulatorAccount[] = [...(options.accounts ?? [])];
  if (options.username !== undefined || options.password !== undefined) {
    pairs.unshift({ username: options.username ?? '', password: options.password ?? '' });
  }
  const byHeader = new Map<string, AccountState>();
  for (const pair of pairs) {
    if ([...byHeader.values()].some((a) => a.username === pair.username)) {
      // The rate-limit window and the stats are per username, so two passwords for one name would share them.
      throw new Error('simulator accounts must have distinct usernames');
    }
    byHeader.set(basicHeader(pair.username, pair.password), {
      username: pair.username,
      plan: pair.plan ?? plan,
    });
  }
  return byHeader;
}

function checkedToday(date: string | undefined): string | undefined {
  if (date !== undefined && parseDate(date) === null)
    throw new Error(`today must be YYYY-MM-DD, not '${date}'`);
  return date;
}

/** The 'missing-field' fault: drop a required field (race_id of the first race, a horse's id, a course id, or total). */
function withoutRequiredField(body: Record<string, unknown>): Record<string, unknown> {
  for (const key of ['results', 'racecards', 'courses']) {
    const list = body[key];
    if (Array.isArray(list)) {
      const first = list[0] as Record<string, unknown> | undefined;
      if (first) delete first[key === 'courses' ? 'id' : 'race_id'];
      else delete body.total;
      return body;
    }
  }
  delete body.id;
  return body;
}
