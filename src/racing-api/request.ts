// The retry loop of one Racing API call. Every attempt, retries included, first takes a slot of the shared
// rate limit and afterwards writes one api_requests row; a 429 pushes the shared next slot back for every
// worker. Terminal answers (401/403/404/422, schema failures) return at once; transient ones (408, 429,
// 5xx, timeouts, connection errors, 2xx bodies that are not JSON) are retried with exponential backoff and
// jitter, and throw TransientApiError when the attempts are spent.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KyInstance } from 'ky';
import type { z } from 'zod';
import { AccountStoppedError } from '../accounts.ts';
import { CONFIG_DEFAULTS, type Endpoint, type RacingApiAccount, type RacingApiConfig } from '../config.ts';
import type { Sql } from '../db.ts';
import {
  abortableSleep,
  bucketForAccount,
  pushBack,
  RateLimitBacklogError,
  sendWithSlot,
} from '../rate-limit.ts';
import { chooseAccount, notInPlan, settleRefusal } from './accounts.ts';
import { type AttemptOutcome, attemptOnce } from './attempt.ts';
import {
  type ApiResult,
  oneLine,
  type TerminalReason,
  TransientApiError,
  UnexpectedApiResponseError,
} from './result.ts';
import { resultsPageSchema } from './schemas.ts';

/** One account and the HTTP client carrying its credentials. */
export interface AccountHandle {
  account: RacingApiAccount;
  api: KyInstance;
}

export interface CallContext {
  /** Every configured account (at least one): each call goes to one of them (racing-api/accounts.ts). */
  accounts: AccountHandle[];
  /**
   * A client pinned to its one account (doctor, the worker's start check): sent even while the account is
   * stopped, and a 401 is returned as it is instead of being settled.
   */
  pinned?: boolean;
  config: RacingApiConfig;
  sql: Sql;
  jobId?: string;
  signal?: AbortSignal;
}

export interface CallSpec<T> {
  endpoint: Endpoint;
  /** Relative to the base URL, no leading slash: 'results', `horses/${id}/pro`. */
  input: string;
  searchParams: URLSearchParams;
  /** How the route is named in messages about plans, e.g. '/v1/horses/{horse_id}/pro'. */
  route: string;
  schema: z.ZodType<T>;
  /** The date asked for (results, racecards): what a plan gap is checked against. */
  date?: string;
}

// The attempt's deadline timer may fire late on a busy machine; a request leaves at the latest this long
// after it, or not at all.
const SEND_ALLOWANCE_MS = 30_000;

// A pushBack never parks the account for longer than this, whatever Retry-After says.
const MAX_PUSH_BACK_MS = 3_600_000;

/** Exponential backoff with "equal jitter": half the delay fixed, half random, so retries of many workers spread out. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * The first request of a process is slow to leave: Node loads its fetch implementation (undici) on first
 * use (60-70 ms synchronously on a busy machine) and compiles its HTTP parser on the first connection.
 * Between a confirmed slot and its send, that made the first requests of a worker reach the API 100-250 ms
 * late and bunch with later ones (see rate-limit.ts). So, once per process and before the first slot, one
 * request to a throw-away server on 127.0.0.1 (never the API: it would use the budget).
 */
let httpWarm: Promise<void> | undefined;
function warmHttpClient(): Promise<void> {
  httpWarm ??= (async () => {
    const server = createServer((_req, res) => res.end());
    try {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
    } catch {
      // Only an optimisation: the real request works without it.
    } finally {
      server.close();
    }
  })();
  return httpWarm;
}

/** Sends one call: picks the account, then runs the retry loop on it and sorts out a 401/403 (accounts.ts). */
export async function callApi<T>(ctx: CallContext, spec: CallSpec<T>): Promise<ApiResult<T>> {
  if (ctx.pinned) {
    const [only] = ctx.accounts;
    if (!only) throw new Error('a pinned Racing API client needs one account');
    return callWithAccount(ctx, only, spec);
  }
  // An account stopped by this call's 401/403 (or under another caller's check) is skipped by the next
  // choice: the call goes on with another account, at most once per account.
  for (let tried = 1; ; tried++) {
    const choice = await chooseAccount(ctx, spec);
    if (choice.kind === 'not_in_plan') return notInPlan(choice.gap);
    const result = await callWithAccount(ctx, choice.handle, spec);
    if (result.ok || (result.reason !== 'unauthorized' && result.reason !== 'forbidden')) return result;
    try {
      return await settleRefusal(ctx, choice.handle, spec, result, (handle, date) =>
        callWithAccount(ctx, handle, probeSpec(date)),
      );
    } catch (error) {
      if (!(error instanceof AccountStoppedError) || tried >= ctx.accounts.length) throw error;
    }
  }
}

/** One recent results date, one race: what every paid plan answers, so a 401 there is the credentials. */
function probeSpec(date: string): CallSpec<unknown> {
  return {
    endpoint: 'results',
    input: 'results',
    searchParams: new URLSearchParams({ start_date: date, end_date: date, limit: '1', skip: '0' }),
    route: '/v1/results',
    schema: resultsPageSchema,
    date,
  };
}

async function callWithAccount<T>(
  ctx: CallContext,
  handle: AccountHandle,
  spec: CallSpec<T>,
): Promise<ApiResult<T>> {
  const { config, sql, signal } = ctx;
  const bucket = bucketForAccount(config, handle.account, spec.endpoint);
  const path = new URL(spec.input, config.baseUrl).pathname;
  const query = spec.searchParams.toString() || null;
  const maxRetryAfterMs = config.maxRetryAfterMs ?? CONFIG_DEFAULTS.maxRetryAfterMs;
  await warmHttpClient();
  for (let attempt = 1; ; attempt++) {
    let outcome: AttemptOutcome;
    try {
      // The slot is recorded as used when the request has left (see rate-limit.ts); the attempt's own
      // deadline bounds how long after admission that can be.
      const sent = await sendWithSlot(
        sql,
        bucket,
        () => attemptOnce(handle.api, spec.input, spec.searchParams, config.timeoutMs, signal),
        { ...(signal ? { signal } : {}), sendWithinMs: config.timeoutMs + SEND_ALLOWANCE_MS },
      );
      outcome = sent.value;
    } catch (error) {
      if (error instanceof RateLimitBacklogError) {
        throw new TransientApiError(`The Racing API ${path} not called: ${error.message}`, {
          attempts: attempt - 1,
          retryAfterMs: error.waitMs,
        });
      }
      throw error;
    }
    const verdict = judge(outcome, spec, path, config);
    await recordAttempt(ctx, spec.endpoint, path, query, attempt, outcome, verdict);
    if (outcome.kind === 'aborted') throw outcome.reason;
    if (verdict.kind === 'done') return verdict.result;
    if (verdict.kind === 'unexpected') throw new UnexpectedApiResponseError(verdict.error, verdict.status);

    const status = outcome.kind === 'response' ? outcome.status : undefined;
    const retryAfterMs = outcome.kind === 'response' ? outcome.retryAfterMs : undefined;
    if (status === 429) {
      // Everyone on the account backs off, not just this caller: the next slot of any worker is at least
      // this far away. The next attempt then waits in sendWithSlot like everyone else.
      const delay = retryAfterMs ?? backoffDelay(attempt, retryBase(config), retryMax(config));
      await pushBack(sql, bucket, Math.min(delay, MAX_PUSH_BACK_MS));
    }
    if (retryAfterMs !== undefined && retryAfterMs > maxRetryAfterMs) {
      throw new TransientApiError(
        `The Racing API ${path} asked to retry after ${Math.ceil(retryAfterMs / 1000)} s (more than ${Math.round(maxRetryAfterMs / 1000)} s): ${verdict.error}`,
        { status, attempts: attempt, retryAfterMs },
      );
    }
    if (attempt >= config.maxAttempts) {
      throw new TransientApiError(
        `The Racing API ${path} failed after ${attempt} attempts: ${verdict.error}`,
        {
          status,
          attempts: attempt,
        },
      );
    }
    if (status !== 429) {
      await abortableSleep(
        retryAfterMs ?? backoffDelay(attempt, retryBase(config), retryMax(config)),
        signal,
      );
    }
  }
}

const retryBase = (config: RacingApiConfig) => config.retryBaseMs ?? CONFIG_DEFAULTS.retryBaseMs;
const retryMax = (config: RacingApiConfig) => config.retryMaxDelayMs ?? CONFIG_DEFAULTS.retryMaxDelayMs;

type Verdict<T> =
  | { kind: 'done'; result: ApiResult<T>; error: string | null }
  | { kind: 'retry'; error: string }
  | { kind: 'unexpected'; status: number; error: string };

function judge<T>(
  outcome: AttemptOutcome,
  spec: CallSpec<T>,
  path: string,
  config: RacingApiConfig,
): Verdict<T> {
  if (outcome.kind === 'aborted') return { kind: 'retry', error: 'aborted' };
  if (outcome.kind === 'failure') return { kind: 'retry', error: outcome.error };
  const { status } = outcome;
  const body = outcome.isJson ? outcome.json : null;
  const bodyText = outcome.text === '' ? null : outcome.text;

  if (status >= 200 && status < 300) {
    if (!outcome.isJson) {
      return {
        kind: 'retry',
        error: `HTTP ${status} body is not valid JSON (${outcome.bytes} bytes, truncated?)`,
      };
    }
    const parsed = spec.schema.safeParse(outcome.json);
    if (parsed.success) {
      return {
        kind: 'done',
        error: null,
        result: { ok: true, status, data: parsed.data, bodyText: outcome.text, bytes: outcome.bytes },
      };
    }
    const issue = parsed.error.issues[0];
    const issuePath = issue ? issue.path.map(String).join('.') : '';
    const error = oneLine(
      `The Racing API ${path} answered ${status} with an unexpected shape at ${issuePath || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
    return { kind: 'done', error, result: terminal('invalid', status, body, bodyText, error, issuePath) };
  }

  const detail =
    fastApiDetail(body) ??
    (bodyText && !outcome.isJson ? oneLine(bodyText, 200) : outcome.statusText || 'no detail');
  const terminalReason: Partial<Record<number, TerminalReason>> = {
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    422: 'unprocessable',
  };
  const reason = terminalReason[status];
  if (reason) {
    const error = terminalMessage(status, path, spec.route, detail, config);
    return { kind: 'done', error, result: terminal(reason, status, body, bodyText, error) };
  }
  const error = oneLine(`HTTP ${status}: ${detail}`);
  if (status === 408 || status === 429 || status >= 500) return { kind: 'retry', error };
  return { kind: 'unexpected', status, error: `The Racing API ${path} answered ${error}` };
}

function terminal<T>(
  reason: TerminalReason,
  status: number,
  body: unknown,
  bodyText: string | null,
  error: string,
  path?: string,
): ApiResult<T> {
  const result: ApiResult<T> = { ok: false, reason, status, body, bodyText, error };
  if (path !== undefined) result.path = path;
  return result;
}

function terminalMessage(
  status: number,
  path: string,
  route: string,
  detail: string,
  config: RacingApiConfig,
): string {
  if (status === 401) {
    const credentials =
      config.username === undefined
        ? 'RACING_API_USERNAME/RACING_API_PASSWORD are not set'
        : 'check RACING_API_USERNAME/RACING_API_PASSWORD';
    return oneLine(
      `The Racing API answered 401 for ${path}: ${credentials}, or whether your plan includes ${route} (${detail})`,
    );
  }
  if (status === 403) return oneLine(`The Racing API answered 403 for ${path}: access forbidden (${detail})`);
  if (status === 404) return oneLine(`The Racing API answered 404 for ${path}: ${detail}`);
  return oneLine(`The Racing API answered 422 for ${path}: ${detail}`);
}

/** FastAPI's {"detail": "..."} or {"detail": [{loc, msg}]} as one line, e.g. 'query.name: field required'. */
export function fastApiDetail(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || !('detail' in body)) return undefined;
  const detail = (body as { detail: unknown }).detail;
  if (typeof detail === 'string') return oneLine(detail);
  if (Array.isArray(detail)) {
    const parts = detail.map((item) => {
      const { loc, msg } = (item ?? {}) as { loc?: unknown; msg?: unknown };
      const where = Array.isArray(loc) ? loc.map(String).join('.') : undefined;
      const what = typeof msg === 'string' ? msg : JSON.stringify(item);
      return where ? `${where}: ${what}` : what;
    });
    return oneLine(parts.join('; '));
  }
  return oneLine(JSON.stringify(detail));
}

async function recordAttempt(
  ctx: CallContext,
  endpoint: Endpoint,
  path: string,
  query: string | null,
  attempt: number,
  outcome: AttemptOutcome,
  verdict: Verdict<unknown>,
): Promise<void> {
  const status = outcome.kind === 'response' ? outcome.status : null;
  const bytes = outcome.kind === 'response' ? outcome.bytes : null;
  const error = outcome.kind === 'aborted' ? 'aborted' : verdict.error;
  // requested_at on the database clock, like the rate-limit slots: when the attempt started.
  await ctx.sql`
    insert into api_requests (requested_at, endpoint, path, query, status, attempt, duration_ms, bytes, error, job_id)
    values (clock_timestamp() - make_interval(secs => ${outcome.durationMs}::float8 / 1000), ${endpoint}, ${path},
            ${query}, ${status}, ${attempt}, ${outcome.durationMs}, ${bytes}, ${error}, ${ctx.jobId ?? null})`;
}
