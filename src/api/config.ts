import { isIP } from 'node:net';

// The HTTP server's settings, read from the environment and checked once at start-up: a bad value fails with
// one line naming the variable.

export interface ApiConfig {
  /** API_HOST, default 127.0.0.1. */
  host: string;
  /** API_PORT, default 8080. */
  port: number;
  /** API_TOKEN: when set, every request needs `Authorization: Bearer <token>`; required off loopback. */
  token?: string;
  /** API_STATEMENT_TIMEOUT_MS, default 5000: PostgreSQL's statement_timeout for each request's queries. */
  statementTimeoutMs: number;
  /** API_MAX_ROWS, default 500: the most rows any endpoint returns (the ?limit ceiling). */
  maxRows: number;
  /** API_REPORT_CACHE_SECONDS, default 60: the report's numbers are computed at most once per interval. */
  reportCacheSeconds: number;
  /**
   * API_REPORT_TIMEOUT_MS, default 60000: statement_timeout of that one computation, longer than a request's
   * because it runs once per interval (v_l1_null_counts alone takes about 6 s at 1M snapshots).
   */
  reportTimeoutMs: number;
}

export const API_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  statementTimeoutMs: 5_000,
  maxRows: 500,
  reportCacheSeconds: 60,
  reportTimeoutMs: 60_000,
} as const;

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number) {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}, not '${raw}'`);
  return value;
}

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const token = env.API_TOKEN === undefined || env.API_TOKEN === '' ? undefined : env.API_TOKEN;
  // A short token is guessable; the length is not a secret, so the message may say it.
  if (token !== undefined && token.length < 16) throw new Error('API_TOKEN must be at least 16 characters');
  const config: ApiConfig = {
    host: env.API_HOST?.trim() || API_DEFAULTS.host,
    port: wholeNumber(env, 'API_PORT', API_DEFAULTS.port, 0, 65_535),
    statementTimeoutMs: wholeNumber(
      env,
      'API_STATEMENT_TIMEOUT_MS',
      API_DEFAULTS.statementTimeoutMs,
      1,
      3_600_000,
    ),
    maxRows: wholeNumber(env, 'API_MAX_ROWS', API_DEFAULTS.maxRows, 1, 100_000),
    reportCacheSeconds: wholeNumber(
      env,
      'API_REPORT_CACHE_SECONDS',
      API_DEFAULTS.reportCacheSeconds,
      0,
      86_400,
    ),
    reportTimeoutMs: wholeNumber(env, 'API_REPORT_TIMEOUT_MS', API_DEFAULTS.reportTimeoutMs, 1, 3_600_000),
  };
  if (token !== undefined) config.token = token;
  return config;
}

/** True for addresses only this machine can reach: localhost, 127.0.0.0/8, ::1 (and 127.x mapped into IPv6). */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h) || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** Refuses, in one line, to serve a non-loopback address without a token. */
export function checkBindAllowed(host: string, token: string | undefined): void {
  if (token === undefined && !isLoopback(host))
    throw new Error(
      `refusing to listen on ${host} without API_TOKEN: set API_TOKEN (clients send Authorization: Bearer <token>) or listen on 127.0.0.1`,
    );
}
