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
  /**
   * Inside a transaction: runs fn under a savepoint, released when fn resolves and rolled back to
   * when it throws (the error is rethrown). The transaction stays usable either way.
   */
  savepoint<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
}

export type Param = string | number | boolean | null;

// postgres.js remembers any failed query inside sql.begin() and then rolls the whole transaction
// back, even when the caller caught the error; only its own sql.savepoint() scopes a failure.
type SavepointSql = Sql & { savepoint<T>(fn: (sql: Sql) => Promise<T>): Promise<T> };

export function postgresJsDb(sql: Sql): Db {
  return {
    async query<T extends object>(text: string, params: readonly Param[] = []) {
      return (await sql.unsafe(text, params as Param[])) as unknown as T[];
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      return (await sql.begin((tx) => fn(postgresJsDb(tx as unknown as Sql)))) as T;
    },
    async savepoint<T>(fn: (tx: Db) => Promise<T>) {
      const tx = sql as SavepointSql;
      if (typeof tx.savepoint !== 'function') throw new Error('savepoint() needs a transaction');
      return (await tx.savepoint((sp) => fn(postgresJsDb(sp)))) as T;
    },
  };
}

export function pgClientDb(client: PoolClient): Db {
  let savepoints = 0;
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
    async savepoint<T>(fn: (tx: Db) => Promise<T>) {
      const name = `sp_${++savepoints}`;
      await client.query(`savepoint ${name}`);
      try {
        const result = await fn(db);
        await client.query(`release savepoint ${name}`);
        return result;
      } catch (error) {
        await client.query(`rollback to savepoint ${name}`);
        throw error;
      }
    },
  };
  return db;
}
