// The demo's embedded PostgreSQL starts from a checkout nobody else may traverse (as root the server runs as the
// `postgres` user): it runs from its own cache, keeps its cluster between runs, and fails in one line.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect } from '../src/db.ts';
import { EmbeddedPostgresError, startEmbeddedPostgres } from '../src/demo/embedded-postgres.ts';

let scratch: string;
let cacheDir: string;
let checkout: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'demo-pg-'));
  // The cache must be reachable by the server's user; the "checkout" sits in a private folder.
  await chmod(scratch, 0o755);
  cacheDir = join(scratch, 'cache');
  checkout = join(scratch, 'private', 'clone');
  await mkdir(checkout, { recursive: true });
  await chmod(join(scratch, 'private'), 0o700);
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function serverVersionAndData(adminUrl: string) {
  const sql = connect(adminUrl, { max: 1 });
  try {
    const [row] = await sql<{ major: string; marker: number | null }[]>`
      select current_setting('server_version_num')::int / 10000 as major,
             (select count(*)::int from pg_database where datname = 'kept') as marker`;
    return row!;
  } finally {
    await sql.end();
  }
}

test('starts, keeps its cluster between runs and stops', async () => {
  const first = await startEmbeddedPostgres({ cacheDir, checkout });
  try {
    expect((await serverVersionAndData(first.adminUrl)).marker).toBe(0);
    const sql = connect(first.adminUrl, { max: 1 });
    await sql.unsafe('create database kept');
    await sql.end();
  } finally {
    await first.stop();
  }
  const second = await startEmbeddedPostgres({ cacheDir, checkout });
  try {
    const { major, marker } = await serverVersionAndData(second.adminUrl);
    expect(Number(major)).toBeGreaterThanOrEqual(15);
    expect(marker).toBe(1);
    expect(second.instanceDir).toBe(first.instanceDir);
  } finally {
    await second.stop();
  }
});

test('a cache it cannot create is one line saying why and what to do', async () => {
  const notADirectory = join(scratch, 'a-file');
  await writeFile(notADirectory, '');
  const failure = await startEmbeddedPostgres({ cacheDir: join(notADirectory, 'cache'), checkout }).catch(
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(EmbeddedPostgresError);
  const message = (failure as Error).message;
  expect(message).not.toContain('\n');
  expect(message).toMatch(/^the embedded PostgreSQL cannot start: cannot prepare .*a-file\/cache/);
  expect(message).toContain('set DATABASE_URL');
});
