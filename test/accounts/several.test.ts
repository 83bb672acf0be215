import type { KyInstance } from 'ky';
import { describe, expect, test } from 'vitest';
import { accountId, accountsOf, loadRacingApiConfig } from '../../src/config.ts';
import { chooseAccount } from '../../src/racing-api/accounts.ts';
import type { CallSpec } from '../../src/racing-api/request.ts';
import { acquireSlot, bucketForAccount } from '../../src/rate-limit.ts';
import { drainQueue } from '../../src/worker.ts';
import { createTestDatabase, useTestDatabase } from '../helpers/db.ts';
import { addJob, queuedJobs, useSimulator } from '../helpers/racing-worker.ts';

// Two accounts in the simulator; the kit knows the first with its password and the second with `secondPassword`.
const A = { username: 'acct-a', password: 'secret-a' };
const B = { username: 'acct-b', password: 'secret-b' };
const accountsEnv = (secondPassword: string, rate: number) =>
  `${A.username}:${A.password}@${rate},${B.username}:${secondPassword}@${rate}`;

const db = useTestDatabase();
const env = useSimulator(
  { accounts: [A, B] },
  {
    RACING_API_ACCOUNTS: accountsEnv(B.password, 100),
    RACING_API_USERNAME: '',
    RACING_API_PASSWORD: '',
  },
);
const RANGE = { start_date: '2024-03-01', end_date: '2024-03-08', enrich: false, source: 'results' };

const spec: CallSpec<unknown> = {
  endpoint: 'results',
  input: 'results',
  searchParams: new URLSearchParams(),
  route: '/v1/results',
  schema: {} as CallSpec<unknown>['schema'],
  date: '2024-03-01',
};

describe('several accounts', () => {
  test('a call takes the account whose next slot comes soonest', async () => {
    // 1 request/s each: a slot taken on an account keeps its next one a second away.
    process.env.RACING_API_ACCOUNTS = accountsEnv(B.password, 1);
    try {
      const config = loadRacingApiConfig();
      const accounts = accountsOf(config).map((account) => ({ account, api: {} as KyInstance }));
      const ctx = { accounts, config, sql: db.sql };
      const chosen = async () => {
        const c = await chooseAccount(ctx, spec);
        if (c.kind !== 'send') throw new Error('no account chosen');
        return c.handle.account.id;
      };
      const [a, b] = accounts;
      if (!a || !b) throw new Error('two accounts expected');
      await acquireSlot(db.sql, bucketForAccount(config, a.account, 'results'));
      expect(await chosen()).toBe(accountId(B.username));
      await acquireSlot(db.sql, bucketForAccount(config, b.account, 'results'));
      await acquireSlot(db.sql, bucketForAccount(config, b.account, 'results'));
      expect(await chosen()).toBe(accountId(A.username));
    } finally {
      process.env.RACING_API_ACCOUNTS = accountsEnv(B.password, 100);
    }
  });

  test('a backfill spreads its requests over both accounts, each in its own bucket', async () => {
    const clean = await createTestDatabase();
    try {
      env.sim.resetStats();
      await addJob(clean.sql, 'backfill_dates', RANGE);
      await drainQueue({ connectionString: clean.url, concurrency: 4, noHandleSignals: true });
      const byAccount = env.sim.stats().byAccount;
      expect(byAccount[A.username]).toBeGreaterThan(0);
      expect(byAccount[B.username]).toBeGreaterThan(0);
      const keys = await clean.sql`select key from rate_limit_slots order by key`;
      expect(keys.map((k) => k.key)).toEqual([
        `racing_api@${accountId(A.username)}`,
        `racing_api@${accountId(B.username)}`,
      ]);
      const [done] = await clean.sql`select count(*)::int as n from fetch_state where status = 'done'`;
      expect(done?.n).toBe(8);
    } finally {
      await clean.drop();
    }
  });

  test('a wrong password on one account stops it; the other completes the queue, 0 dates failed', async () => {
    process.env.RACING_API_ACCOUNTS = accountsEnv('wrong-password', 100);
    try {
      env.sim.resetStats();
      await addJob(db.sql, 'backfill_dates', RANGE);
      await Promise.all(
        [1, 2].map(() => drainQueue({ connectionString: db.url, concurrency: 2, noHandleSignals: true })),
      );
      expect(await queuedJobs(db.sql)).toEqual([]);
      const states = await db.sql`
        select account_id, state, message from api_accounts order by account_id`;
      expect(states).toContainEqual({
        account_id: accountId(B.username),
        state: 'unauthorized',
        message: expect.stringContaining('Invalid credentials'),
      });
      expect(states.find((s) => s.account_id === accountId(A.username))?.state ?? 'ok').toBe('ok');
      const statuses = await db.sql`select status, count(*)::int as n from fetch_state group by status`;
      expect(statuses).toEqual([{ status: 'done', n: 8 }]);
      expect(env.sim.stats().byAccount[A.username]).toBeGreaterThan(0);
    } finally {
      process.env.RACING_API_ACCOUNTS = accountsEnv(B.password, 100);
    }
  });
});
