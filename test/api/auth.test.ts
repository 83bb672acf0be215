import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApiServer, readOnlyClient, startApiServer } from '../../src/api/server.ts';
import type { Sql } from '../../src/db.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { closeServer, listenLocal } from './listen.ts';

// API_TOKEN: required to serve anything but loopback; when set, every request needs the bearer token.

const TOKEN = 'test-token-0123456789abcdef';
const db = useTestDatabase();
let reader: Sql;
let api: Server;
let base = '';

beforeAll(async () => {
  reader = readOnlyClient(db.url, 1);
  api = createApiServer({ sql: reader, token: TOKEN });
  base = await listenLocal(api);
});

afterAll(async () => {
  await closeServer(api);
  await reader?.end();
});

const status = async (path: string, authorization?: string) =>
  (await fetch(base + path, authorization ? { headers: { authorization } } : {})).status;

describe('with a token, every request needs it', () => {
  test('401 without it, with a wrong one, a prefix of it, or another scheme; the route answers with it', async () => {
    for (const path of ['/report', '/api/coverage', '/debug/snapshots/1/raw', '/nope']) {
      expect(await status(path)).toBe(401);
      expect(await status(path, `Bearer ${TOKEN}x`)).toBe(401);
      expect(await status(path, `Bearer ${TOKEN.slice(0, -1)}`)).toBe(401);
      expect(await status(path, `Basic ${TOKEN}`)).toBe(401);
    }
    const res = await fetch(`${base}/nope`);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ error: 'unauthorized: send Authorization: Bearer <API_TOKEN>' });
    expect(await status('/api/coverage', `Bearer ${TOKEN}`)).toBe(200);
    expect(await status('/debug/snapshots/1/raw', `bearer ${TOKEN}`)).toBe(404);
  });
});

describe('startApiServer', () => {
  test('refuses a non-loopback address without a token, before listening', async () => {
    await expect(startApiServer({ sql: reader, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      'refusing to listen on 0.0.0.0 without API_TOKEN',
    );
  });

  test('loopback without a token answers requests', async () => {
    const server = await startApiServer({ sql: reader, host: '127.0.0.1', port: 0 });
    try {
      const { port } = server.address() as { port: number };
      expect((await fetch(`http://127.0.0.1:${port}/api/coverage`)).status).toBe(200);
    } finally {
      await closeServer(server);
    }
  });
});

const CLI = 'src/cli/api.ts';

describe('npm run api', () => {
  test('0.0.0.0 without API_TOKEN: one line on stderr, exit 1', async () => {
    const env = { ...process.env, DATABASE_URL: db.url, API_DATABASE_URL: '', API_TOKEN: '' };
    // The timeout only bounds a server that would wrongly start: the refusal comes before any listening.
    const result = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [CLI, '--host', '0.0.0.0', '--port', '0'],
        { env, timeout: 120_000 },
        (error, stdout, stderr) => resolve({ code: error ? (child.exitCode ?? null) : 0, stdout, stderr }),
      );
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error: refusing to listen on 0.0.0.0 without API_TOKEN: set API_TOKEN (clients send Authorization: Bearer <token>) or listen on 127.0.0.1\n',
    );
  });

  test('0.0.0.0 with API_TOKEN starts and requires the token', async () => {
    const env = { ...process.env, DATABASE_URL: db.url, API_DATABASE_URL: '', API_TOKEN: TOKEN };
    const child: ChildProcess = spawn(process.execPath, [CLI, '--host', '0.0.0.0', '--port', '0'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout! });
      const exited = once(child, 'exit').then(([code]) => {
        throw new Error(`the API exited (${code}) before its first line`);
      });
      const [first] = (await Promise.race([once(lines, 'line'), exited])) as [string];
      const port = /^API on http:\/\/0\.0\.0\.0:(\d+) .*bearer token required/.exec(first)?.[1];
      expect(port).toBeDefined();
      const url = `http://127.0.0.1:${port}/api/coverage`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const stopped = once(child, 'exit');
        child.kill('SIGTERM');
        await stopped;
      }
    }
  });
});
