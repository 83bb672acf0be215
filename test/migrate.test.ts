import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { describe, expect, inject, test } from 'vitest';
import { connect } from '../src/db.ts';
import { migrateDatabase } from '../src/migrate.ts';
import { withDatabase } from './global-setup.ts';
import { useTestDatabase } from './helpers/db.ts';

const run = promisify(execFile);
const db = useTestDatabase();

async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = connect(inject('adminUrl'), { max: 1 });
  const name = `racing_kit_empty_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
  await admin.unsafe(`create database "${name}"`);
  return {
    url: withDatabase(inject('adminUrl'), name),
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

describe('migrations folder', () => {
  // drizzle's migrator applies only entries newer than the last applied `when`: an entry that is not strictly
  // newer than its predecessor would be skipped silently on every database that already has the predecessor.
  test('journal entries are in order, strictly newer each, and each names a SQL file', async () => {
    const journal = JSON.parse(
      await readFile(new URL('../migrations/meta/_journal.json', import.meta.url), 'utf8'),
    );
    const files = (await readdir(new URL('../migrations/', import.meta.url))).filter((f) =>
      f.endsWith('.sql'),
    );
    const entries: Array<{ idx: number; when: number; tag: string }> = journal.entries;
    expect(entries.map((e) => `${e.tag}.sql`)).toEqual(files.sort());
    entries.forEach((e, i) => {
      expect(e.idx).toBe(i);
      if (i > 0) expect(e.when).toBeGreaterThan(entries[i - 1]!.when);
    });
  });
});

describe('npm run migrate', () => {
  test('migrates an empty database, then add_job for backfill_dates succeeds', async () => {
    const empty = await freshDatabase();
    try {
      const { stdout } = await run(process.execPath, ['src/cli/migrate.ts'], {
        env: { ...process.env, DATABASE_URL: empty.url },
      });
      expect(stdout).toMatch(/^migrated /);
      const sql = connect(empty.url, { max: 1 });
      const [job] = await sql`
        select (graphile_worker.add_job('backfill_dates',
          json_build_object('start_date', '2024-01-01', 'end_date', '2024-01-02'))).id`;
      expect(job?.id).toBeDefined();
      await sql.end();
    } finally {
      await empty.drop();
    }
  });

  test('a second migrate applies nothing and two at once do not collide', async () => {
    const empty = await freshDatabase();
    try {
      await Promise.all([migrateDatabase(empty.url), migrateDatabase(empty.url)]);
      const sql = connect(empty.url, { max: 1 });
      const before = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
      await migrateDatabase(empty.url);
      const after = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
      expect(after[0]?.n).toBe(before[0]?.n);
      expect(before[0]?.n).toBeGreaterThanOrEqual(2);
      await sql.end();
    } finally {
      await empty.drop();
    }
  });

  test('a wrong DATABASE_URL gives one line and exit code 1', async () => {
    const failure = await run(process.execPath, ['src/cli/migrate.ts'], {
      env: { ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in failure && failure.code).toBe(1);
    const stderr = (failure as { stderr: string }).stderr.trim();
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toBe('error: cannot connect to PostgreSQL at 127.0.0.1:1/nowhere: connection refused');
  });

  test('a DATABASE_URL that is not a postgres URL is rejected before connecting', async () => {
    const failure = await run(process.execPath, ['src/cli/migrate.ts'], {
      env: { ...process.env, DATABASE_URL: 'mysql://root@localhost/x' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((failure as { code: number }).code).toBe(1);
    expect((failure as { stderr: string }).stderr).toMatch(
      /^error: DATABASE_URL must start with postgres:\/\//,
    );
  });

  test('the cloned test database carries the whole schema', async () => {
    const tables = await db.sql`
      select table_name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`;
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        'ra_mst_races',
        'ra_mst_runners',
        'market_book_snapshots',
        'fetch_state',
        'api_requests',
      ]),
    );
  });
});

describe('upgrading a database that has data', () => {
  // Migration 0010 turns raw_responses.body from jsonb into the exact text and merges body_text into it.
  test('raw bodies stored before 0010 keep their content: JSON as its text, non-JSON bodies as they were', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'kit-migrations-'));
    const target = await freshDatabase();
    const sql = connect(target.url, { max: 1 });
    try {
      // The migrations as they were before 0010: the files up to 0009 and a journal that ends there.
      await cp(fileURLToPath(new URL('../migrations/', import.meta.url)), folder, { recursive: true });
      const journalPath = join(folder, 'meta', '_journal.json');
      const journal = JSON.parse(await readFile(journalPath, 'utf8'));
      journal.entries = journal.entries.filter((e: { idx: number }) => e.idx <= 9);
      await writeFile(journalPath, JSON.stringify(journal));
      await migrate(drizzle(sql), {
        migrationsFolder: folder,
        migrationsSchema: 'drizzle',
        migrationsTable: '__drizzle_migrations',
      });
      await sql`
        insert into raw_responses (endpoint, request_key, status, body, body_text, valid) values
          ('results', 'json', 200, '{"results": [], "total": 0}'::jsonb, null, true),
          ('results', 'html', 502, null, '<html>bad gateway</html>', false)`;

      await migrateDatabase(target.url);
      const rows = await sql`
        select request_key, body, pg_typeof(body)::text as type from raw_responses order by request_key`;
      expect(rows).toEqual([
        { request_key: 'html', body: '<html>bad gateway</html>', type: 'text' },
        { request_key: 'json', body: '{"total": 0, "results": []}', type: 'text' },
      ]);
    } finally {
      await sql.end();
      await target.drop();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
