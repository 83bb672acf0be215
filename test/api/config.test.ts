import { describe, expect, test } from 'vitest';
import { API_DEFAULTS, checkBindAllowed, isLoopback, loadApiConfig } from '../../src/api/config.ts';

describe('loadApiConfig', () => {
  test('defaults: 5 s statement timeout, 500 rows, report cached 60 s, no token', () => {
    expect(loadApiConfig({})).toEqual({ ...API_DEFAULTS });
    expect(API_DEFAULTS).toMatchObject({ statementTimeoutMs: 5000, maxRows: 500, reportCacheSeconds: 60 });
  });

  test('every variable read', () => {
    expect(
      loadApiConfig({
        API_HOST: '0.0.0.0',
        API_PORT: '9000',
        API_TOKEN: 'a-long-enough-token',
        API_STATEMENT_TIMEOUT_MS: '250',
        API_MAX_ROWS: '20',
        API_REPORT_CACHE_SECONDS: '0',
        API_REPORT_TIMEOUT_MS: '9000',
      }),
    ).toEqual({
      host: '0.0.0.0',
      port: 9000,
      token: 'a-long-enough-token',
      statementTimeoutMs: 250,
      maxRows: 20,
      reportCacheSeconds: 0,
      reportTimeoutMs: 9000,
    });
  });

  test.each([
    ['API_STATEMENT_TIMEOUT_MS', '0', /API_STATEMENT_TIMEOUT_MS must be a whole number from 1/],
    ['API_STATEMENT_TIMEOUT_MS', '5s', /API_STATEMENT_TIMEOUT_MS must be/],
    ['API_MAX_ROWS', '-1', /API_MAX_ROWS must be/],
    ['API_REPORT_CACHE_SECONDS', '1.5', /API_REPORT_CACHE_SECONDS must be/],
    ['API_PORT', '70000', /API_PORT must be/],
    ['API_TOKEN', 'short', /^API_TOKEN must be at least 16 characters$/],
  ])('%s=%s is one line naming the variable', (name, value, message) => {
    expect(() => loadApiConfig({ [name]: value })).toThrow(message);
  });
});

describe('loopback', () => {
  test.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'])(
    '%s is loopback',
    (host) => {
      expect(isLoopback(host)).toBe(true);
      expect(() => checkBindAllowed(host, undefined)).not.toThrow();
    },
  );

  test.each(['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '128.0.0.1'])(
    '%s needs a token',
    (host) => {
      expect(isLoopback(host)).toBe(false);
      expect(() => checkBindAllowed(host, undefined)).toThrow(
        `refusing to listen on ${host} without API_TOKEN`,
      );
      expect(() => checkBindAllowed(host, 'a-long-enough-token')).not.toThrow();
    },
  );
});
