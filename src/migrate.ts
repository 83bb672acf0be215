import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { runMigrations as runWorkerMigrations } from 'graphile-worker';
import { connect } from './db.ts';
import { madeByAnotherRelease, OLD_RELEASE_MESSAGE } from './schema-version.ts';
import { quietWorkerLogger } from './worker-logger.ts';

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations', import.meta.url));
// drizzle's migrator takes no lock (drizzle-orm #874); two `npm run migrate` at once serialise here.
const LOCK_KEY = 'racing-etl-kit:migrate';

/**
 * graphile-worker's schema, then the kit's drizzle migrations, under one advisory lock.
 * Idempotent: a second run applies nothing. A database made by 0.1 (another migration history) is refused
 * before anything is applied.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const sql = connect(url, { max: 1 });
  try {
    await sql`select pg_advisory_lock(hashtext(${LOCK_KEY}))`;
    try {
      if (await madeByAnotherRelease(sql)) throw new Error(OLD_RELEASE_MESSAGE);
      await runWorkerMigrations({ connectionString: url, logger: quietWorkerLogger });
      await migrate(drizzle(sql), {
        migrationsFolder: MIGRATIONS_FOLDER,
        migrationsSchema: 'drizzle',
        migrationsTable: '__drizzle_migrations',
      });
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${LOCK_KEY}))`;
    }
  } finally {
    await sql.end();
  }
}
