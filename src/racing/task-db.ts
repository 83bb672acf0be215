// One postgres.js client per worker process and connection string, shared by every racing task (a client
// per job would open and close connections thousands of times in a backfill). The worker entry points
// (src/worker.ts) hold the client while a runner lives and close it when the last runner ends.

import { connect, databaseUrl, type Sql } from '../db.ts';

const clients = new Map<string, Sql>();
const holders = new Map<string, number>();
let configuredUrl: string | undefined;

/** Tasks of this process write to `url` until release() (called when the runner ends). */
export function holdTaskDatabase(url: string): () => Promise<void> {
  configuredUrl = url;
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
    // A handful of connections: each job holds at most one at a time (its transaction).
    sql = connect(url, { max: 4, idle_timeout: 30 });
    clients.set(url, sql);
  }
  return sql;
}

/** Close every task client, whoever holds it (last resort at process exit). */
export async function closeTaskSql(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.all(all.map((sql) => sql.end({ timeout: 5 })));
}
