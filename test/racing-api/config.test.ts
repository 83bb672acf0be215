import { describe, expect, it } from 'vitest';
import { accountId, loadRacingApiConfig } from '../../src/config.ts';
import { parseRetryAfter } from '../../src/racing-api/attempt.ts';
import { backoffDelay, fastApiDetail } from '../../src/racing-api/request.ts';

describe('loadRacingApiConfig', () => {
  it('has the documented defaults and no credentials when none are set', () => {
    expect(loadRacingApiConfig({})).toEqual({
      baseUrl: 'https://api.theracingapi.com/v1/',
      ratePerSec: 2,
      endpointRates: {},
      timeoutMs: 30_000,
      maxAttempts: 5,
      rateSafetyMargin: 0.02,
      maxSlotWaitMs: 120_000,
      retryBaseMs: 1_000,
      retryMaxDelayMs: 30_000,
      maxRetryAfterMs: 60_000,
      accounts: [{ id: 'default', ratePerSec: 2, endpointRates: {} }],
    });
  });

  it('reads every variable and adds the trailing slash to the base URL', () => {
    const config = loadRacingApiConfig({
      RACING_API_BASE_URL: 'http://127.0.0.1:8080/v1',
      RACING_API_USERNAME: 'user',
      RACING_API_PASSWORD: 'pw',
      RACING_API_RATE_PER_SEC: '5',
      RACING_API_RATE_PER_SEC_COURSES: '1',
      RACING_API_RATE_PER_SEC_HORSES: '0.5',
      RACING_API_TIMEOUT_MS: '1500',
      RACING_API_MAX_ATTEMPTS: '3',
      RACING_API_RATE_SAFETY_MARGIN: '0.01',
    });
    expect(config).toMatchObject({
      baseUrl: 'http://127.0.0.1:8080/v1/',
      username: 'user',
      password: 'pw',
      ratePerSec: 5,
      endpointRates: { courses: 1, horses: 0.5 },
      timeoutMs: 1500,
      maxAttempts: 3,
      rateSafetyMargin: 0.01,
      accounts: [
        {
          id: accountId('user'),
          username: 'user',
          password: 'pw',
          ratePerSec: 5,
          endpointRates: { courses: 1, horses: 0.5 },
        },
      ],
    });
  });

  it.each([
    [
      { RACING_API_RATE_PER_SEC: 'fast' },
      "RACING_API_RATE_PER_SEC must be a number above 0 and at most 100, not 'fast'",
    ],
    [
      { RACING_API_RATE_PER_SEC: '0' },
      "RACING_API_RATE_PER_SEC must be a number above 0 and at most 100, not '0'",
    ],
    [
      { RACING_API_RATE_PER_SEC_RESULTS: '-1' },
      "RACING_API_RATE_PER_SEC_RESULTS must be a number above 0 and at most 100, not '-1'",
    ],
    [
      { RACING_API_TIMEOUT_MS: '2.5' },
      "RACING_API_TIMEOUT_MS must be a whole number from 1 to 600000, not '2.5'",
    ],
    [
      { RACING_API_MAX_ATTEMPTS: '0' },
      "RACING_API_MAX_ATTEMPTS must be a whole number from 1 to 20, not '0'",
    ],
    [
      { RACING_API_RATE_SAFETY_MARGIN: '1' },
      "RACING_API_RATE_SAFETY_MARGIN must be a number from 0 to 0.5 (0.01 = 1%), not '1'",
    ],
    [
      { RACING_API_BASE_URL: 'api.theracingapi.com' },
      'RACING_API_BASE_URL is not a valid URL (expected for example https://api.theracingapi.com/v1/)',
    ],
    [
      { RACING_API_BASE_URL: 'https://u:p@api.theracingapi.com/v1/' },
      'RACING_API_BASE_URL must not contain credentials: use RACING_API_USERNAME and RACING_API_PASSWORD',
    ],
    [
      { RACING_API_USERNAME: 'user' },
      'RACING_API_PASSWORD is not set: set both RACING_API_USERNAME and RACING_API_PASSWORD, or neither',
    ],
  ])('rejects %o with one line naming the variable', (env, message) => {
    expect(() => loadRacingApiConfig(env)).toThrow(message);
  });

  it('never puts the password in an error message', () => {
    const attempt = () =>
      loadRacingApiConfig({ RACING_API_PASSWORD: 'hunter2-secret', RACING_API_MAX_ATTEMPTS: 'x' });
    expect(attempt).toThrow(/^RACING_API_USERNAME is not set/);
    try {
      attempt();
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });
});

describe('retry helpers', () => {
  it('doubles the backoff per attempt up to the cap, with half of it random', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 1000, 10_000, () => 0))).toEqual([
      500, 1000, 2000, 4000, 5000, 5000,
    ]);
    expect([1, 2, 3].map((n) => backoffDelay(n, 1000, 10_000, () => 1))).toEqual([1000, 2000, 4000]);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-10-13T12:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Mon, 13 Oct 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('turns FastAPI details into one line', () => {
    expect(fastApiDetail({ detail: 'Not Found' })).toBe('Not Found');
    expect(
      fastApiDetail({
        detail: [{ loc: ['query', 'name'], msg: 'field required', type: 'value_error.missing' }],
      }),
    ).toBe('query.name: field required');
    expect(fastApiDetail({ message: 'x' })).toBeUndefined();
    expect(fastApiDetail(null)).toBeUndefined();
  });
});
