import type { JobHelpers } from 'graphile-worker';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { z } from 'zod';
import { ACCOUNT_RECHECK_MS, AccountStoppedError, WAITS_FOR_ACCOUNT_FLAG } from '../../src/accounts.ts';
import { defineTask } from '../../src/task.ts';

// The task wrapper's handling of a stopped account, on a fake clock (only Date is faked: the wrapper reads
// Date.now()). The job puts itself back every time, but the worker's log says so at most once a minute.

const saved = process.env.DATABASE_URL;
beforeEach(() => {
  // Never connected: the task below makes no query.
  process.env.DATABASE_URL = 'postgres://kit@127.0.0.1:1/never_used';
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-01-01T12:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
  if (saved === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = saved;
});

function fakeHelpers() {
  const error = vi.fn();
  const addJob = vi.fn(async () => ({}));
  const helpers = {
    job: { id: '1', key: 'fetch_results_day:2024-03-01', max_attempts: 5, priority: 0 },
    logger: { error, info: vi.fn(), warn: vi.fn(), debug: vi.fn() },
    addJob,
  } as unknown as JobHelpers;
  return { helpers, error, addJob };
}

describe('a stopped account is logged at most once a minute', () => {
  test('three waits within 61 s: every job put back, two log lines', async () => {
    const task = defineTask('stopped_task', {
      schema: z.object({}),
      run: async () => {
        throw new AccountStoppedError('Racing API account acct_x is unauthorized (401 Invalid credentials)');
      },
    });
    const { helpers, error, addJob } = fakeHelpers();
    const at = (seconds: number) => vi.setSystemTime(new Date(Date.UTC(2026, 0, 1, 12, 0, seconds)));

    await task({}, helpers);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]?.[0]).toContain('acct_x is unauthorized');
    expect(error.mock.calls[0]?.[0]).toContain('at most once a minute');

    at(30);
    await task({}, helpers);
    at(59);
    await task({}, helpers);
    expect(error).toHaveBeenCalledTimes(1);

    at(61);
    await task({}, helpers);
    expect(error).toHaveBeenCalledTimes(2);

    expect(addJob).toHaveBeenCalledTimes(4);
    expect(addJob).toHaveBeenLastCalledWith(
      'stopped_task',
      {},
      expect.objectContaining({
        runAt: new Date(Date.UTC(2026, 0, 1, 12, 1, 1) + ACCOUNT_RECHECK_MS),
        flags: [WAITS_FOR_ACCOUNT_FLAG],
        jobKey: 'fetch_results_day:2024-03-01',
        jobKeyMode: 'replace',
      }),
    );
  });
});
