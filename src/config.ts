// Configuration of The Racing API client, read from the environment and checked once at start-up,
// so that a typo fails with one line naming the variable instead of a confusing error mid-backfill.
// No error message ever contains a password (nor a username, which is half of the credentials).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type Endpoint = 'results' | 'racecards' | 'horses' | 'courses';

export const ENDPOINTS: readonly Endpoint[] = ['results', 'racecards', 'horses', 'courses'];

/** One Racing API account: its credentials and its own budgets (its own rate-limit buckets). */
export interface RacingApiAccount {
  /**
   * Stable, non-secret label for logs, tables and bucket keys: the `id` of a JSON entry when given, else 'acct_' and
   * the first 8 hex digits of the username's SHA-256 (so reordering the list keeps it); 'default' without credentials.
   */
  id: string;
  /** Absent only for the default account when no credentials are configured (a simulator without auth). */
  username?: string;
  password?: string;
  /** The account-wide budget; default RACING_API_RATE_PER_SEC. */
  ratePerSec: number;
  /** Endpoints with their own budget (own bucket); default the RACING_API_RATE_PER_SEC_<ENDPOINT> variables. */
  endpointRates: Partial<Record<Endpoint, number>>;
}

export interface RacingApiConfig {
  /** RACING_API_BASE_URL, default 'https://api.theracingapi.com/v1/', always with a trailing slash. */
  baseUrl: string;
  /**
   * RACING_API_USERNAME / RACING_API_PASSWORD: never logged, never stored. With RACING_API_ACCOUNTS, the first
   * account's, so that single-account callers keep working.
   */
  username?: string;
  password?: string;
  /**
   * Every account, at least one: RACING_API_ACCOUNTS, else the single RACING_API_USERNAME account (or one without
   * credentials). Always set by loadRacingApiConfig; optional so hand-built configs stay short (see accountsOf).
   */
  accounts?: RacingApiAccount[];
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

const ACCOUNTS = 'RACING_API_ACCOUNTS';
const MAX_RATE = 100;

/** The id of an account without its own: derived from the username, never revealing it. */
export function accountId(username: string): string {
  return `acct_${createHash('sha256').update(username, 'utf8').digest('hex').slice(0, 8)}`;
}

/** The accounts of a config, also of a hand-built one without `accounts`. */
export function accountsOf(config: RacingApiConfig): RacingApiAccount[] {
  if (config.accounts && config.accounts.length > 0) return config.accounts;
  const account: RacingApiAccount = {
    id: config.username === undefined ? 'default' : accountId(config.username),
    ratePerSec: config.ratePerSec,
    endpointRates: config.endpointRates,
  };
  if (config.username !== undefined && config.password !== undefined) {
    account.username = config.username;
    account.password = config.password;
  }
  return [account];
}

interface AccountDefaults {
  ratePerSec: number;
  endpointRates: Partial<Record<Endpoint, number>>;
}

function rateOf(value: unknown, where: string, field: string): number {
  const rate = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > MAX_RATE) {
    throw new Error(`${ACCOUNTS} ${where}: ${field} must be a number above 0 and at most ${MAX_RATE}`);
  }
  return rate;
}

/** `username:password` or `username:password@rate`; '@' plus digits at the end is the rate, else part of the password. */
function textEntry(text: string, where: string, defaults: AccountDefaults): RacingApiAccount {
  const colon = text.indexOf(':');
  const rest = text.slice(colon + 1);
  const rateSuffix = /@(\d+(?:\.\d+)?)$/.exec(rest);
  const password = rateSuffix ? rest.slice(0, rateSuffix.index) : rest;
  const username = text.slice(0, colon).trim();
  if (colon < 0 || username === '' || password === '') {
    throw new Error(`${ACCOUNTS} ${where} must look like username:password or username:password@rate`);
  }
  return {
    id: accountId(username),
    username,
    password,
    ratePerSec: rateSuffix ? rateOf(rateSuffix[1], where, 'the rate after @') : defaults.ratePerSec,
    endpointRates: { ...defaults.endpointRates },
  };
}

const JSON_FIELDS = [
  'id',
  'username',
  'password',
  'rate_per_sec',
  ...ENDPOINTS.map((e) => `rate_per_sec_${e}`),
];

/** `{"id"?, "username", "password", "rate_per_sec"?, "rate_per_sec_results"?, ...}`. */
function jsonEntry(value: unknown, where: string, defaults: AccountDefaults): RacingApiAccount {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${ACCOUNTS} ${where} must be an object with username and password`);
  }
  const entry = value as Record<string, unknown>;
  const unknown = Object.keys(entry).find((key) => !JSON_FIELDS.includes(key));
  if (unknown !== undefined) {
    // A key is not a secret; naming it catches typos such as "rate_per_second".
    throw new Error(
      `${ACCOUNTS} ${where} has an unknown field '${unknown}' (known: ${JSON_FIELDS.join(', ')})`,
    );
  }
  const { username, password, id } = entry;
  if (
    typeof username !== 'string' ||
    username.trim() === '' ||
    typeof password !== 'string' ||
    password === ''
  ) {
    throw new Error(`${ACCOUNTS} ${where} needs a non-empty username and password (strings)`);
  }
  if (id !== undefined && (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(id))) {
    throw new Error(`${ACCOUNTS} ${where}: id must be 1 to 40 letters, digits, '_' or '-'`);
  }
  const endpointRates = { ...defaults.endpointRates };
  for (const endpoint of ENDPOINTS) {
    const field = `rate_per_sec_${endpoint}`;
    if (entry[field] !== undefined) endpointRates[endpoint] = rateOf(entry[field], where, field);
  }
  return {
    id: id ?? accountId(username.trim()),
    username: username.trim(),
    password,
    ratePerSec:
      entry.rate_per_sec === undefined
        ? defaults.ratePerSec
        : rateOf(entry.rate_per_sec, where, 'rate_per_sec'),
    endpointRates,
  };
}

function accountsFromFile(path: string, defaults: AccountDefaults): RacingApiAccount[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`${ACCOUNTS} names the file ${path}, which cannot be read (${code})`);
  }
  if (text.trimStart().startsWith('[')) {
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch {
      // JSON.parse's own message quotes the text around the error, which may be a password.
      throw new Error(`${ACCOUNTS} file ${path} starts with '[' but is not valid JSON`);
    }
    if (!Array.isArray(list)) throw new Error(`${ACCOUNTS} file ${path} must hold a JSON array`);
    return list.map((value, i) => jsonEntry(value, `file ${path} entry ${i + 1}`, defaults));
  }
  const accounts: RacingApiAccount[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed !== '' && !trimmed.startsWith('#')) {
      accounts.push(textEntry(trimmed, `file ${path} line ${i + 1}`, defaults));
    }
  });
  return accounts;
}

/**
 * RACING_API_ACCOUNTS: `user1:pass1,user2:pass2@10` inline, or a path (starting with '/' or '.') to a file of
 * `user:pass[@rate]` lines ('#' comments) or a JSON array of {id?, username, password, rate_per_sec?,
 * rate_per_sec_<endpoint>?}. Undefined when the variable is not set.
 */
function accountsFrom(env: NodeJS.ProcessEnv, defaults: AccountDefaults): RacingApiAccount[] | undefined {
  const raw = blankToUndefined(env[ACCOUNTS]);
  if (raw === undefined) return undefined;
  const accounts =
    raw.startsWith('/') || raw.startsWith('.')
      ? accountsFromFile(raw, defaults)
      : raw
          .split(',')
          .map((text) => text.trim())
          .filter((text) => text !== '')
          .map((text, i) => textEntry(text, `entry ${i + 1}`, defaults));
  if (accounts.length === 0) throw new Error(`${ACCOUNTS} is set but holds no account`);
  accounts.forEach((account, i) => {
    const first = accounts.findIndex((a) => a.username === account.username || a.id === account.id);
    if (first < i) {
      throw new Error(`${ACCOUNTS} accounts ${first + 1} and ${i + 1} have the same username or id`);
    }
  });
  return accounts;
}

/** Reads and checks the RACING_API_* variables. Invalid values throw an Error with one line naming the variable. */
export function loadRacingApiConfig(env: NodeJS.ProcessEnv = process.env): RacingApiConfig {
  let username = blankToUndefined(env.RACING_API_USERNAME);
  let password = env.RACING_API_PASSWORD ? env.RACING_API_PASSWORD : undefined;
  if (blankToUndefined(env[ACCOUNTS]) !== undefined && (username !== undefined || password !== undefined)) {
    throw new Error(
      `${ACCOUNTS} and RACING_API_USERNAME/RACING_API_PASSWORD are both set: keep one (RACING_API_ACCOUNTS for several accounts)`,
    );
  }
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
    ratePerSec: positiveNumber(env, 'RACING_API_RATE_PER_SEC', CONFIG_DEFAULTS.ratePerSec, MAX_RATE),
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
  const accounts = accountsFrom(env, config);
  if (accounts) {
    username = accounts[0]?.username;
    password = accounts[0]?.password;
  }
  if (username !== undefined && password !== undefined) {
    config.username = username;
    config.password = password;
  }
  config.accounts = accounts ?? accountsOf(config);
  return config;
}
