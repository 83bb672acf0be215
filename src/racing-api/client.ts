// The Racing API client: the calls the kit needs, each validated with its zod schema, rate-limited
// through the account-wide limiter in PostgreSQL, retried on transient failures and audited per attempt
// in api_requests. Credentials go into the Authorization header only: never into URLs, messages or rows.
import ky from 'ky';
import { accountsOf, type RacingApiAccount, type RacingApiConfig } from '../config.ts';
import type { Sql } from '../db.ts';
import { type AccountHandle, type CallContext, type CallSpec, callApi } from './request.ts';
import type { ApiResult } from './result.ts';
import {
  type CoursesPage,
  coursesPageSchema,
  type HorsePro,
  horseProSchema,
  type RacecardsPage,
  type Regions,
  type ResultsPage,
  racecardsPageSchema,
  regionsSchema,
  resultsPageSchema,
} from './schemas.ts';

export type { ApiResult, TerminalReason } from './result.ts';
export { TransientApiError, UnexpectedApiResponseError } from './result.ts';
export * from './schemas.ts';

export interface PageQuery {
  /** YYYY-MM-DD */
  date: string;
  /** Lower-case region codes, e.g. ['gb', 'ire']. */
  regions: string[];
  skip: number;
  limit: number;
}

export interface RacingApiClient {
  /** GET /v1/results for one date: start_date = end_date = date, repeated `region` keys. */
  resultsPage(q: PageQuery): Promise<ApiResult<ResultsPage>>;
  /** GET /v1/racecards/pro for one date, repeated `region_codes` keys. */
  racecardsPage(q: PageQuery): Promise<ApiResult<RacecardsPage>>;
  /** GET /v1/horses/{horse_id}/pro (may answer 404 for a real horse). */
  horsePro(horseId: string): Promise<ApiResult<HorsePro>>;
  /** GET /v1/courses, repeated `region_codes` keys. */
  courses(regions: string[]): Promise<ApiResult<CoursesPage>>;
  /** GET /v1/courses/regions. */
  regions(): Promise<ApiResult<Regions>>;
}

function appendAll(params: URLSearchParams, key: string, values: readonly string[]): void {
  for (const value of values) params.append(key, value);
}

function checkDate(date: string): void {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`date must be YYYY-MM-DD, not '${date}'`);
}

function basicAuthorization(account: RacingApiAccount): Record<string, string> {
  if (account.username === undefined || account.password === undefined) return {};
  const token = Buffer.from(`${account.username}:${account.password}`, 'utf8').toString('base64');
  return { authorization: `Basic ${token}` };
}

export function createRacingApiClient(o: {
  config: RacingApiConfig;
  sql: Sql;
  jobId?: string;
  signal?: AbortSignal;
  /**
   * Only this account, sent even while it is stopped, 401s returned as they are: the credential and plan
   * checks of `npm run doctor` and of the worker's start.
   */
  pinnedAccountId?: string;
}): RacingApiClient {
  const { config } = o;
  let accounts = accountsOf(config);
  if (o.pinnedAccountId !== undefined) {
    accounts = accounts.filter((a) => a.id === o.pinnedAccountId);
    if (accounts.length === 0) throw new Error(`no Racing API account has the id ${o.pinnedAccountId}`);
  }
  // ky's own retry is off: callApi retries so that every attempt takes a rate-limit slot and an audit row.
  // Its timeout is off too: attemptOnce puts one deadline over headers and body of each attempt.
  const handles: AccountHandle[] = accounts.map((account) => ({
    account,
    api: ky.create({
      baseUrl: config.baseUrl,
      retry: 0,
      timeout: false,
      throwHttpErrors: false,
      headers: { accept: 'application/json', 'user-agent': 'racing-etl-kit', ...basicAuthorization(account) },
    }),
  }));
  const ctx: CallContext = { accounts: handles, config, sql: o.sql };
  if (o.pinnedAccountId !== undefined) ctx.pinned = true;
  if (o.jobId !== undefined) ctx.jobId = o.jobId;
  if (o.signal !== undefined) ctx.signal = o.signal;
  const routeBase = new URL(config.baseUrl).pathname; // '/v1/'

  /** One page of a date's results or racecards: the date's own keys, repeated region keys, limit and skip. */
  function dayPage<T>(
    q: PageQuery,
    endpoint: 'results' | 'racecards',
    input: string,
    dateKeys: Record<string, string>,
    regionKey: string,
    schema: CallSpec<T>['schema'],
  ): Promise<ApiResult<T>> {
    checkDate(q.date);
    const searchParams = new URLSearchParams(dateKeys);
    appendAll(searchParams, regionKey, q.regions);
    searchParams.append('limit', String(q.limit));
    searchParams.append('skip', String(q.skip));
    return callApi(ctx, {
      endpoint,
      input,
      searchParams,
      route: `${routeBase}${input}`,
      schema,
      date: q.date,
    });
  }

  return {
    resultsPage: (q) =>
      dayPage(q, 'results', 'results', { start_date: q.date, end_date: q.date }, 'region', resultsPageSchema),
    racecardsPage: (q) =>
      dayPage(q, 'racecards', 'racecards/pro', { date: q.date }, 'region_codes', racecardsPageSchema),
    horsePro(horseId) {
      if (!horseId) throw new Error('horsePro needs a horse id');
      return callApi(ctx, {
        endpoint: 'horses',
        input: `horses/${encodeURIComponent(horseId)}/pro`,
        searchParams: new URLSearchParams(),
        route: `${routeBase}horses/{horse_id}/pro`,
        schema: horseProSchema,
      });
    },
    courses(regions) {
      const searchParams = new URLSearchParams();
      appendAll(searchParams, 'region_codes', regions);
      return callApi(ctx, {
        endpoint: 'courses',
        input: 'courses',
        searchParams,
        route: `${routeBase}courses`,
        schema: coursesPageSchema,
      });
    },
    regions() {
      return callApi(ctx, {
        endpoint: 'courses',
        input: 'courses/regions',
        searchParams: new URLSearchParams(),
        route: `${routeBase}courses/regions`,
        schema: regionsSchema,
      });
    },
  };
}
