import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountId, accountsOf, loadRacingApiConfig } from '../../src/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'racing-accounts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(env: NodeJS.ProcessEnv): string {
  try {
    loadRacingApiConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected loadRacingApiConfig to throw');
}

describe('RACING_API_ACCOUNTS', () => {
  it('is not needed: the single RACING_API_USERNAME account is the default', () => {
    const config = loadRacingApiConfig({
      RACING_API_USERNAME: 'solo',
      RACING_API_PASSWORD: 'pw',
      RACING_API_RATE_PER_SEC: '3',
    });
    expect(config.accounts).toEqual([
      { id: accountId('solo'), username: 'solo', password: 'pw', ratePerSec: 3, endpointRates: {} },
    ]);
  });

  it('reads an inline list; @rate sets an account budget, the others inherit the RACING_API_RATE_* budgets', () => {
    const config = loadRacingApiConfig({
      RACING_API_ACCOUNTS: ' alice:pw1 , bob:p@ss:w0rd@10,',
      RACING_API_RATE_PER_SEC: '4',
      RACING_API_RATE_PER_SEC_COURSES: '1',
    });
    expect(config.accounts).toEqual([
      {
        id: accountId('alice'),
        username: 'alice',
        password: 'pw1',
        ratePerSec: 4,
        endpointRates: { courses: 1 },
      },
      {
        id: accountId('bob'),
        username: 'bob',
        password: 'p@ss:w0rd',
        ratePerSec: 10,
        endpointRates: { courses: 1 },
      },
    ]);
    // Single-account callers use the first account.
    expect(config).toMatchObject({ username: 'alice', password: 'pw1', ratePerSec: 4 });
    // '@' followed by something other than a number belongs to the password.
    expect(loadRacingApiConfig({ RACING_API_ACCOUNTS: 'u:a@b' }).accounts?.[0]?.password).toBe('a@b');
  });

  it('gives stable ids that do not reveal the username and do not depend on the order', () => {
    const one = loadRacingApiConfig({ RACING_API_ACCOUNTS: 'alice:x,bob:y' }).accounts ?? [];
    const two = loadRacingApiConfig({ RACING_API_ACCOUNTS: 'bob:z,alice:w' }).accounts ?? [];
    expect(one.map((a) => a.id)).toEqual([two[1]?.id, two[0]?.id]);
    expect(one[0]?.id).toMatch(/^acct_[0-9a-f]{8}$/);
    expect(one[0]?.id).not.toBe(one[1]?.id);
    expect(one.map((a) => a.id).join()).not.toMatch(/alice|bob/);
  });

  it('reads a file of user:password lines, with comments and blank lines', () => {
    const path = file('accounts.txt', '# production accounts\n\nalice:pw1@5\r\n  bob:pw2  \n');
    const accounts = loadRacingApiConfig({ RACING_API_ACCOUNTS: path }).accounts;
    expect(accounts?.map((a) => [a.username, a.password, a.ratePerSec])).toEqual([
      ['alice', 'pw1', 5],
      ['bob', 'pw2', 2],
    ]);
  });

  it('reads a JSON file with ids and per-endpoint budgets', () => {
    const path = file(
      'accounts.json',
      JSON.stringify([
        { id: 'main', username: 'alice', password: 'p,w:1@5', rate_per_sec: 10, rate_per_sec_results: 5 },
        { username: 'bob', password: 'pw2' },
      ]),
    );
    const config = loadRacingApiConfig({ RACING_API_ACCOUNTS: path, RACING_API_RATE_PER_SEC_COURSES: '1' });
    expect(config.accounts).toEqual([
      {
        id: 'main',
        username: 'alice',
        password: 'p,w:1@5',
        ratePerSec: 10,
        endpointRates: { courses: 1, results: 5 },
      },
      {
        id: accountId('bob'),
        username: 'bob',
        password: 'pw2',
        ratePerSec: 2,
        endpointRates: { courses: 1 },
      },
    ]);
  });

  it.each([
    [{ RACING_API_ACCOUNTS: 'a:b', RACING_API_USERNAME: 'c', RACING_API_PASSWORD: 'd' }, /are both set/],
    [{ RACING_API_ACCOUNTS: ' , ' }, /^RACING_API_ACCOUNTS is set but holds no account$/],
    [
      { RACING_API_ACCOUNTS: 'a:1,a:2' },
      /^RACING_API_ACCOUNTS accounts 1 and 2 have the same username or id$/,
    ],
    [
      { RACING_API_ACCOUNTS: 'a:b@0' },
      /^RACING_API_ACCOUNTS entry 1: the rate after @ must be a number above 0/,
    ],
    [
      { RACING_API_ACCOUNTS: './does-not-exist.json' },
      /names the file \.\/does-not-exist\.json.*\(ENOENT\)$/,
    ],
  ])('rejects %o with one line', (env, message) => {
    expect(() => loadRacingApiConfig(env)).toThrow(message);
  });

  it('rejects bad JSON entries naming the entry and the field', () => {
    const typo = file('typo.json', '[{"username":"u","password":"p","rate_per_second":3}]');
    expect(errorOf({ RACING_API_ACCOUNTS: typo })).toMatch(
      /^RACING_API_ACCOUNTS file .*typo\.json entry 1 has an unknown field 'rate_per_second'/,
    );
    const notList = file('object.json', '[1]');
    expect(errorOf({ RACING_API_ACCOUNTS: notList })).toMatch(/entry 1 must be an object/);
    const badId = file('id.json', '[{"id":"has space","username":"u","password":"p"}]');
    expect(errorOf({ RACING_API_ACCOUNTS: badId })).toMatch(/entry 1: id must be/);
  });

  it('never echoes a username or password in its errors', () => {
    const secret = 'hunter2-secret';
    const user = 'private-user';
    const brokenJson = file('broken.json', `[{"username":"${user}","password":"${secret}",}]`);
    const missingPassword = file('missing.json', `[{"username":"${user}","password":""}]`);
    const badLine = file('bad.txt', `ok:fine\n${user}${secret}\n`);
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ RACING_API_ACCOUNTS: `ok:fine,${user}${secret}` }, /^RACING_API_ACCOUNTS entry 2 must look like/],
      [{ RACING_API_ACCOUNTS: `${user}:` }, /^RACING_API_ACCOUNTS entry 1 must look like/],
      [{ RACING_API_ACCOUNTS: `:${secret}` }, /^RACING_API_ACCOUNTS entry 1 must look like/],
      [{ RACING_API_ACCOUNTS: `${user}:${secret}@500` }, /entry 1: the rate after @ must be/],
      [{ RACING_API_ACCOUNTS: brokenJson }, /broken\.json starts with '\[' but is not valid JSON$/],
      [{ RACING_API_ACCOUNTS: missingPassword }, /entry 1 needs a non-empty username and password/],
      [{ RACING_API_ACCOUNTS: badLine }, /bad\.txt line 2 must look like/],
      [{ RACING_API_ACCOUNTS: `${user}:${secret}`, RACING_API_PASSWORD: secret }, /are both set/],
    ];
    for (const [env, message] of cases) {
      const text = errorOf(env);
      expect(text).toMatch(message);
      expect(text).not.toContain(secret);
      expect(text).not.toContain(user);
    }
  });
});

describe('accountsOf', () => {
  it('derives the one account of a hand-built config', () => {
    const base = { baseUrl: 'http://x/v1/', ratePerSec: 7, endpointRates: {}, timeoutMs: 1, maxAttempts: 1 };
    expect(accountsOf(base)).toEqual([{ id: 'default', ratePerSec: 7, endpointRates: {} }]);
    expect(accountsOf({ ...base, username: 'u', password: 'p' })).toEqual([
      { id: accountId('u'), username: 'u', password: 'p', ratePerSec: 7, endpointRates: {} },
    ]);
  });
});
