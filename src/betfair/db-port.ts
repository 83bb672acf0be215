import type { PoolClient } from 'pg';
import type { Sql } from '../db.ts';

/**
 * The few database operations the Betfair code needs, so one implementation serves the CLI and tests
 * (postgres.js) and graphile-worker tasks (the worker pool's pg client from helpers.withPgClient,
 * which always points at the worker's own database). Parameters are strings, numbers or null; the
 * SQL casts them explicitly, so both drivers send them the same way.
 */
export interface Db {
  query<T extends object = Record<string, unknown>>(text: string, params?: readonly Param[]): Promise<T[]>;
  /** Runs fn in one transaction: COMMIT when it resolves, ROLLBACK when it throws. Not nestable. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
}

export type Param = string | number | boolean | null;

export function postgresJsDb(sql: Sql): Db {
  return {
    async query<T extends object>(text: string, params: readonly Param[] = []) {
      return (await sql.unsafe(text, params as Param[])) as unknown as T[];
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      return (await sql.begin((tx) => fn(postgresJsDb(tx as unknown as Sql)))) as T;
    },
  };
}

export function pgClientDb(client: PoolClient): Db {
  const db: Db = {
    async query<T extends object>(text: string, params: readonly Param[] = []) {
      return (await client.query(text, params as Param[])).rows as T[];
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      await client.query('begin');
      try {
        const result = await fn(db);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      }
    },
  };
  return db;
}
