// One postgres.js client per worker process and connection string, shared by every task (a client
// per job would open and close connections thousands of times in a backfill). The worker entry points
// (src/worker.ts) run each task inside withTaskDatabase(url), so two runners on different databases in one
// process (tests, embedding programs) never mix their writes; they hold the client while a runner lives and
// close it when the last runner on that database ends.

import { AsyncLocalStorage } from 'node:async_hooks';
import { connect, databaseUrl, type Sql, type Tx } from './db.ts';

const clients = new Map<string, Sql>();
const holders = new Map<string, number>();
const poolSizes = new Map<string, number>();
const currentUrl = new AsyncLocalStorage<string>();

/**
 * Keep the client for `url` open until release() (called when the runner ends). `connections`: each running
 * job uses at most one connection at a time (a transaction or a rate-limit slot), so the runner's
 * concurrency is enough.
 */
export function holdTaskDatabase(url: string, connections = 4): () => Promise<void> {
  holders.set(url, (holders.get(url) ?? 0) + 1);
  poolSizes.set(url, Math.max(poolSizes.get(url) ?? 4, connections));
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    const left = (holders.get(url) ?? 1) - 1;
    if (left > 0) {
      holders.set(url, left);
      return;
    }
    holders.delete(url);
    const sql = clients.get(url);
    clients.delete(url);
    await sql?.end({ timeout: 5 });
  };
}

/** Run `fn` (a task) against the database of its runner. */
export function withTaskDatabase<T>(url: string, fn: () => T): T {
  return currentUrl.run(url, fn);
}

/** The process-wide client for the current task's database (its runner's, else DATABASE_URL). */
export function taskSql(): Sql {
  const url = currentUrl.getStore() ?? databaseUrl();
  let sql = clients.get(url);
  if (!sql) {
    sql = connect(url, { max: poolSizes.get(url) ?? 4, idle_timeout: 30 });
    clients.set(url, sql);
  }
  return sql;
}

/**
 * First statement of a task's data transaction: its COMMIT does not wait for the WAL flush. Safe here
 * because the job's completion is committed afterwards with the default synchronous commit, and flushing
 * that later commit record flushes ours with it (WAL is written in order). A server crash in between loses
 * the rows, the checkpoint and the completion together, so the job runs again and nothing is half-done
 * (called outside a job, a crash within wal_writer_delay can lose a whole write, never part of one).
 * Saved ~10 ms (a third) of a results date's write on this machine's disk.
 */
export function skipCommitFlush(tx: Tx): Promise<unknown> {
  return tx`set local synchronous_commit = off`.execute();
}
