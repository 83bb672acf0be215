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
