import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { connect, type Sql } from '../../src/db.ts';
import { withDatabase } from '../global-setup.ts';

export interface TestDatabase {
  /** Connection URL of this file's own database. */
  readonly url: string;
  /** A postgres.js client on it. */
  readonly sql: Sql;
  readonly name: string;
}

/** Clone the migrated template into a database of this test file's own; dropped after the file. */
export async function createTestDatabase(): Promise<TestDatabase & { drop(): Promise<void> }> {
  const adminUrl = inject('adminUrl');
  const templateDb = inject('templateDb');
  const name = `racing_kit_t_${randomBytes(6).toString('hex')}`;
  const admin = connect(adminUrl, { max: 1 });
  await admin.unsafe(`create database "${name}" template "${templateDb}"`);
  const url = withDatabase(adminUrl, name);
  const sql = connect(url, { max: 5 });
  return {
    url,
    sql,
    name,
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** beforeAll/afterAll wiring: `const db = useTestDatabase();` then `db.sql`, `db.url` inside tests. */
export function useTestDatabase(): TestDatabase {
  let current: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  beforeAll(async () => {
    current = await createTestDatabase();
  });
  afterAll(async () => {
    await current?.drop();
  });
  const get = () => {
    if (!current) throw new Error('test database not ready: use it inside tests or hooks');
    return current;
  };
  return {
    get url() {
      return get().url;
    },
    get sql() {
      return get().sql;
    },
    get name() {
      return get().name;
    },
  };
}
