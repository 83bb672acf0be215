import type { Sql } from './db.ts';

/** The verification views in reading order; each is plain SQL a user can run in psql. */
export const VERIFICATION_VIEWS = [
  'v_backfill_progress',
  'v_runner_coverage_by_year',
  'v_horse_enrichment',
  'v_pedigree_coverage',
  'v_entity_counts',
  'v_orphaned_runners',
  'v_l1_null_counts',
] as const;

export type ViewName = (typeof VERIFICATION_VIEWS)[number];

/** Orphans can be many: the report shows a count and the first rows. */
const ROW_LIMIT = 50;

export async function readVerificationViews(
  sql: Sql,
): Promise<Array<{ view: ViewName; rows: Record<string, unknown>[] }>> {
  const out: Array<{ view: ViewName; rows: Record<string, unknown>[] }> = [];
  for (const view of VERIFICATION_VIEWS) {
    const rows = await sql`select * from ${sql(view)} limit ${ROW_LIMIT}`;
    out.push({ view, rows: [...rows] });
  }
  return out;
}
