import type { Sql } from '../../src/db.ts';

const TABLES: Record<string, string> = {
  ra_courses: 'id',
  ra_jockeys: 'id',
  ra_trainers: 'id',
  ra_owners: 'id',
  ra_bookmakers: 'name',
  ra_horses: 'id',
  ra_horse_pedigree: 'horse_id',
  ra_mst_races: 'id',
  ra_mst_runners: 'race_id, horse_id',
  raw_responses: 'endpoint, request_key',
  fetch_state: 'source, date',
};

/** md5 of every row (all columns, updated_at included) per racing table: equal checksums = identical tables. */
export async function racingChecksums(sql: Sql): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [table, order] of Object.entries(TABLES)) {
    const [row] = await sql.unsafe<{ md5: string; n: number }[]>(
      `select md5(coalesce(string_agg(t::text, E'\\n' order by ${order}), '')) as md5, count(*)::int as n from ${table} t`,
    );
    out[table] = `${row?.n}:${row?.md5}`;
  }
  return out;
}

/** A table, its natural key (the order of comparison) and the columns two correct runs may differ in. */
export type ContentSpec = [table: string, order: string, drop: string[]];

// Columns that differ between two correct runs (times, serials, bookkeeping of attempts), left out by contentChecksums.
const RUN_COLUMNS: Record<string, string[]> = {
  ra_horses: ['enriched_at'],
  ra_mst_races: ['racecard_fetched_at', 'result_fetched_at'],
  ra_mst_runners: ['id'],
  raw_responses: ['id', 'fetched_at'],
  fetch_state: ['attempts', 'queued_at', 'finished_at', 'http_status', 'last_error'],
};

/** The racing tables with what two correct runs may differ in: extend it with a test's own tables. */
export const RACING_CONTENT: ContentSpec[] = Object.entries(TABLES).map(([table, order]) => [
  table,
  order,
  RUN_COLUMNS[table] ?? [],
]);

/**
 * Like racingChecksums without timestamps and serials (created_at, updated_at and each table's drop list):
 * equal checksums = the same content as another run.
 */
export async function contentChecksums(
  sql: Sql,
  content: readonly ContentSpec[] = RACING_CONTENT,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [table, order, drop] of content) {
    const strip = ['created_at', 'updated_at', ...drop].map((c) => `'${c}'`).join(', ');
    const [row] = await sql.unsafe<{ md5: string; n: number }[]>(
      `select md5(coalesce(string_agg((to_jsonb(t) - array[${strip}])::text, E'\\n' order by ${order}), '')) as md5,
              count(*)::int as n from ${table} t`,
    );
    out[table] = `${row?.n}:${row?.md5}`;
  }
  return out;
}
