import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
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

describe('a database made by 0.1', () => {
  // 0.1's history ended with migration 0011, recorded by drizzle with its journal `when`; 0.2 squashed it.
  test('npm run migrate refuses it in one line, exit 1, applying nothing', async () => {
    const target = await freshDatabase();
    const sql = connect(target.url, { max: 1 });
    try {
      await sql`create schema drizzle`;
      await sql`create table drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`;
      await sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('0.1-0011', 1795696317825)`;
      const failure = await run(process.execPath, ['src/cli/migrate.ts'], {
        env: { ...process.env, DATABASE_URL: target.url },
      }).catch((e: { code: number; stderr: string }) => e);
      expect((failure as { code: number }).code).toBe(1);
      expect((failure as { stderr: string }).stderr.trim()).toBe(
        'error: this database was made by racing-etl-kit 0.1, whose migrations were replaced in 0.2: databases ' +
          'made by 0.1 must be recreated (drop it, create an empty one, run npm run migrate); nothing was applied',
      );
      const objects = await sql`
        select count(*)::int as n from pg_namespace where nspname = 'graphile_worker'
        union all select count(*)::int from pg_tables where schemaname = 'public'`;
      expect(objects.map((o) => o.n)).toEqual([0, 0]);
    } finally {
      await sql.end();
      await target.drop();
    }
  });
});
