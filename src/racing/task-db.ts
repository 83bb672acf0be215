// One postgres.js client per worker process and connection string, shared by every racing task (a client
// per job would open and close connections thousands of times in a backfill). The worker entry points
// (src/worker.ts) hold the client while a runner lives and close it when the last runner ends.

import { connect, databaseUrl, type Sql } from '../db.ts';

const clients = new Map<string, Sql>();
const holders = new Map<string, number>();
let configuredUrl: string | undefined;
let poolSize = 4;

/**
 * Tasks of this process write to `url` until release() (called when the runner ends). `connections`: each
 * running job uses at most one connection at a time (a transaction or a rate-limit slot), so the worker's
 * concurrency is enough.
 */
export function holdTaskDatabase(url: string, connections = 4): () => Promise<void> {
  configuredUrl = url;
  poolSize = Math.max(poolSize, connections);
  holders.set(url, (holders.get(url) ?? 0) + 1);
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

/** The process-wide client for the task database (the held one, else DATABASE_URL). */
export function taskSql(): Sql {
  const url = configuredUrl ?? databaseUrl();
  let sql = clients.get(url);
  if (!sql) {
    sql = connect(url, { max: poolSize, idle_timeout: 30 });
    clients.set(url, sql);
  }
  return sql;
}
