import { readFileSync } from 'node:fs';
import type { Sql } from './db.ts';

// Kept apart from migrate.ts on purpose: importing drizzle-orm costs a process about 150 MB of memory, and the
// worker only needs to know whether the schema is current.
const JOURNAL = new URL('../migrations/meta/_journal.json', import.meta.url);

/** One line for a database whose migration history is not this release's (0.1 had another history). */
export const OLD_RELEASE_MESSAGE =
  'this database was made by racing-etl-kit 0.1, whose migrations were replaced in 0.2: databases made by 0.1 ' +
  'must be recreated (drop it, create an empty one, run npm run migrate); nothing was applied';

function journalWhens(): number[] {
  const journal: { entries: Array<{ when: number }> } = JSON.parse(readFileSync(JOURNAL, 'utf8'));
  return journal.entries.map((e) => e.when);
}

/** The created_at of every applied drizzle migration, oldest first; none when never migrated. */
async function appliedMigrations(sql: Sql): Promise<number[]> {
  const rows = await sql<{ created_at: string }[]>`
    select created_at::text from drizzle.__drizzle_migrations order by created_at`.catch(
    (error: { code?: string }) => {
      if (error.code === '42P01' || error.code === '3F000') return []; // never migrated
      throw error;
    },
  );
  return rows.map((r) => Number(r.created_at));
}

/**
 * Whether this database holds drizzle migrations that this release's journal does not list (each applied
 * migration is recorded with its journal entry's `when`). Such a database was made by another history
 * (0.1's) and drizzle's migrator would silently skip or misapply ours, so it must be recreated.
 */
export async function madeByAnotherRelease(sql: Sql): Promise<boolean> {
  const known = new Set(journalWhens());
  return (await appliedMigrations(sql)).some((when) => !known.has(when));
}

/**
 * How many of the kit's migrations this database lacks, by drizzle's own rule (journal entries whose `when` is
 * newer than the last applied migration's created_at). Workers refuse to start on an old schema instead of
 * failing job by job.
 */
export async function pendingMigrationCount(sql: Sql): Promise<number> {
  const last = (await appliedMigrations(sql)).at(-1) ?? 0;
  return journalWhens().filter((when) => when > last).length;
}
