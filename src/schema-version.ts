import { readFileSync } from 'node:fs';
import type { Sql } from './db.ts';

// Kept apart from migrate.ts on purpose: importing drizzle-orm costs a process about 150 MB of memory, and the
// worker only needs to know whether the schema is current.
const JOURNAL = new URL('../migrations/meta/_journal.json', import.meta.url);

/**
 * How many of the kit's migrations this database lacks, by drizzle's own rule (journal entries whose `when` is
 * newer than the last applied migration's created_at). Workers refuse to start on an old schema instead of
 * failing job by job.
 */
export async function pendingMigrationCount(sql: Sql): Promise<number> {
  const journal: { entries: Array<{ when: number }> } = JSON.parse(readFileSync(JOURNAL, 'utf8'));
  const applied = await sql<{ last: string | null }[]>`
    select max(created_at)::text as last from drizzle.__drizzle_migrations`.catch(
    (error: { code?: string }) => {
      if (error.code === '42P01' || error.code === '3F000') return [{ last: null }]; // never migrated
      throw error;
    },
  );
  const last = Number(applied[0]?.last ?? 0);
  return journal.entries.filter((e) => e.when > last).length;
}
