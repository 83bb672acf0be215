// Configuration of The Racing API client, read from the environment and checked once at start-up,
// so that a typo fails with one line naming the variable instead of a confusing error mid-backfill.

export type Endpoint = 'results' | 'racecards' | 'horses' | 'courses';

export const ENDPOINTS: readonly Endpoint[] = ['results', 'racecards', 'horses', 'courses'];

export interface RacingApiConfig {
  /** RACING_API_BASE_URL, default 'https://api.theracingapi.com/v1/', always with a trailing slash. */
  baseUrl: string;
  /** RACING_API_USERNAME / RACING_API_PASSWORD: never logged, never stored. */
  username?: string;
  password?: string;
  /** RACING_API_RATE_PER_SEC, default 2: the account-wide budget shared by every process. */
  ratePerSec: number;
  /** RACING_API_RATE_PER_SEC_RESULTS / _RACECARDS / _HORSES / _COURSES: an endpoint with its own limit gets its own bucket. */
  endpointRates: Partial<Record<Endpoint, number>>;
  /** RACING_API_TIMEOUT_MS, default 30000: per attempt (headers and body), excluding the rate-limit wait. */
  timeoutMs: number;
  /** RACING_API_MAX_ATTEMPTS, default 5: attempts per call, the first included. */
  maxAttempts: number;
  /**
   * RACING_API_RATE_SAFETY_MARGIN, default 0.02: the slot interval is 1000 / rate * (1 + margin).
   * See rate-limit.ts for why the margin exists. Optional so hand-built configs stay short.
   */
  rateSafetyMargin?: number;
  /** RACING_API_MAX_SLOT_WAIT_MS, default 120000: a longer rate-limit backlog throws so the job is rescheduled. */
  maxSlotWaitMs?: number;
  /** RACING_API_RETRY_BASE_MS, default 1000: first backoff delay; it doubles per attempt (with jitter). */
  retryBaseMs?: number;
  /** RACING_API_RETRY_MAX_DELAY_MS, default 30000: cap of one backoff delay. */
  retryMaxDelayMs?: number;
  /** RACING_API_MAX_RETRY_AFTER_MS, default 60000: a longer Retry-After throws TransientApiError at once. */
  maxRetryAfterMs?: number;
}

export const DEFAULT_BASE_URL = 'https://api.theracingapi.com/v1/';

export const CONFIG_DEFAULTS = {
  ratePerSec: 2,
  timeoutMs: 30_000,
  maxAttempts: 5,
  rateSafetyMargin: 0.02,
  maxSlotWaitMs: 120_000,
  retryBaseMs: 1_000,
  retryMaxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
} as const;

function blankToUndefined(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = blankToUndefined(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new Error(`${name} must be a number above 0 and at most ${max}, not '${raw}'`);
  }
  return value;
}

function integerInRange(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = blankToUndefined(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, not '${raw}'`);
  }
  return value;
}

function fraction(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = blankToUndefined(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 0.5) {
    throw new Error(`${name} must be a number from 0 to 0.5 (0.01 = 1%), not '${raw}'`);
  }
  return value;
}

function baseUrlFrom(env: NodeJS.ProcessEnv): string {
  const raw = blankToUndefined(env.RACING_API_BASE_URL) ?? DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`RACING_API_BASE_URL is not a valid URL (expected for example ${DEFAULT_BASE_URL})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`RACING_API_BASE_URL must start with https:// or http://, not ${url.protocol}//`);
  }
  // fetch rejects URLs with credentials, and they would end up in logs: they belong in the two variables.
  if (url.username || url.password) {
    throw new Error(
      'RACING_API_BASE_URL must not contain credentials: use RACING_API_USERNAME and RACING_API_PASSWORD',
    );
  }
  if (url.search || url.hash) {
    throw new Error('RACING_API_BASE_URL must not contain a query string or fragment');
  }
  // Relative inputs such as 'results' resolve under the base only when it ends with a slash.
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url.toString();
}

/** Reads and checks the RACING_API_* variables. Invalid values throw an Error with one line naming the variable. */
export function loadRacingApiConfig(env: NodeJS.ProcessEnv = process.env): RacingApiConfig {
  const username = blankToUndefined(env.RACING_API_USERNAME);
  const password = env.RACING_API_PASSWORD ? env.RACING_API_PASSWORD : undefined;
  if ((username === undefined) !== (password === undefined)) {
    throw new Error(
      `${username === undefined ? 'RACING_API_USERNAME' : 'RACING_API_PASSWORD'} is not set: set both RACING_API_USERNAME and RACING_API_PASSWORD, or neither`,
    );
  }
  const endpointRates: Partial<Record<Endpoint, number>> = {};
  for (const endpoint of ENDPOINTS) {
    const name = `RACING_API_RATE_PER_SEC_${endpoint.toUpperCase()}`;
    if (blankToUndefined(env[name]) !== undefined)
      endpointRates[endpoint] = positiveNumber(env, name, 0, 100);
  }
  const config: RacingApiConfig = {
    baseUrl: baseUrlFrom(env),
    ratePerSec: positiveNumber(env, 'RACING_API_RATE_PER_SEC', CONFIG_DEFAULTS.ratePerSec, 100),
    endpointRates,
    timeoutMs: integerInRange(env, 'RACING_API_TIMEOUT_MS', CONFIG_DEFAULTS.timeoutMs, 1, 600_000),
    maxAttempts: integerInRange(env, 'RACING_API_MAX_ATTEMPTS', CONFIG_DEFAULTS.maxAttempts, 1, 20),
    rateSafetyMargin: fraction(env, 'RACING_API_RATE_SAFETY_MARGIN', CONFIG_DEFAULTS.rateSafetyMargin),
    maxSlotWaitMs: integerInRange(
      env,
      'RACING_API_MAX_SLOT_WAIT_MS',
      CONFIG_DEFAULTS.maxSlotWaitMs,
      0,
      3_600_000,
    ),
    retryBaseMs: integerInRange(env, 'RACING_API_RETRY_BASE_MS', CONFIG_DEFAULTS.retryBaseMs, 0, 600_000),
    retryMaxDelayMs: integerInRange(
      env,
      'RACING_API_RETRY_MAX_DELAY_MS',
      CONFIG_DEFAULTS.retryMaxDelayMs,
      0,
      600_000,
    ),
    maxRetryAfterMs: integerInRange(
      env,
      'RACING_API_MAX_RETRY_AFTER_MS',
      CONFIG_DEFAULTS.maxRetryAfterMs,
      0,
      3_600_000,
    ),
  };
  if (username !== undefined && password !== undefined) {
    config.username = username;
    config.password = password;
  }
  return config;
}
