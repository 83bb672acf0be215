// The baseline of the ladder benchmark: a faithful TypeScript re-implementation of the earlier
// backfill_l1_backsize.py (reference: betfair-ladder.md section 7), the way a script does it:
//   1. select snapshot_id, market_id, snapshot_at, raw_payload of snapshots inner-joined to derived rows
//      with any NULL L1 column, ordered by snapshot_at, LIMIT --limit, all fetched at once;
//   2. per row: parse the payload in the application, skip fewer than 3 runners, load the role mapping
//      with one query, skip an incomplete mapping, extract the three L1 sizes, skip all-NULL;
//   3. one UPDATE … SET x = COALESCE(x, $v) per row, commit every --batch-size rows and at the end.
// One statement at a time on one connection, as the synchronous psycopg2 script did.
import type { Sql } from '../../src/db.ts';

export interface ScriptCounts {
  selected: number;
  updated: number;
  skipped: number;
  errors: number;
  /** Time of the selection query (fetch of all rows) and of the per-row loop. */
  selectMs: number;
  loopMs: number;
}

type Level = { price?: unknown; size?: unknown } | unknown[];

function finite(x: unknown): number | null {
  if (x === null || x === undefined || typeof x === 'boolean') return null;
  const n = Number(x);
  return Number.isFinite(n) ? n : null;
}

/** ex.availableToBack[0].size of the runner with this selectionId, when price > 1 and size > 0. */
function l1BackSize(runners: unknown[], selectionId: unknown): number | null {
  const id = finite(selectionId);
  const runner = runners.find(
    (r) => r && typeof r === 'object' && finite((r as { selectionId?: unknown }).selectionId) === id,
  ) as { ex?: { availableToBack?: Level[] } } | undefined;
  const level = runner?.ex?.availableToBack?.[0];
  if (!level) return null;
  const [price, size] = Array.isArray(level) ? [level[0], level[1]] : [level.price, level.size];
  const p = finite(price);
  const s = finite(size);
  return p !== null && s !== null && p > 1 && s > 0 ? s : null;
}

export async function runOriginalScript(sql: Sql, limit: number, batchSize: number): Promise<ScriptCounts> {
  const conn = await sql.reserve();
  const counts: ScriptCounts = { selected: 0, updated: 0, skipped: 0, errors: 0, selectMs: 0, loopMs: 0 };
  try {
    const t0 = performance.now();
    const rows = await conn<
      { snapshot_id: string; market_id: string; snapshot_at: Date; raw_payload: string }[]
    >`
      select s.snapshot_id, s.market_id, s.snapshot_at, s.raw_payload::text as raw_payload
      from market_book_snapshots s
      join market_derived_metrics d on d.snapshot_id = s.snapshot_id
      where d.home_best_back_size_l1 is null or d.away_best_back_size_l1 is null or d.draw_best_back_size_l1 is null
      order by s.snapshot_at asc
      limit ${limit}`;
    const t1 = performance.now();
    counts.selectMs = t1 - t0;
    counts.selected = rows.length;
    let pending = 0;
    await conn`begin`;
    for (const row of rows) {
      let payload: unknown;
      try {
        payload = JSON.parse(row.raw_payload);
        if (typeof payload === 'string') payload = JSON.parse(payload);
      } catch {
        counts.errors++;
        continue;
      }
      const book = payload as { runners?: unknown; Runners?: unknown };
      const runners = (book.runners ?? book.Runners) as unknown[] | undefined;
      if (!Array.isArray(runners) || runners.length < 3) {
        counts.skipped++;
        continue;
      }
      const [meta] = await conn<{ home: string | null; away: string | null; draw: string | null }[]>`
        select home_selection_id as home, away_selection_id as away, draw_selection_id as draw
        from market_event_metadata where market_id = ${row.market_id}`;
      if (!meta || meta.home === null || meta.away === null || meta.draw === null) {
        counts.skipped++;
        continue;
      }
      const h = l1BackSize(runners, meta.home);
      const a = l1BackSize(runners, meta.away);
      const d = l1BackSize(runners, meta.draw);
      if (h === null && a === null && d === null) {
        counts.skipped++;
        continue;
      }
      await conn`
        update market_derived_metrics set
          home_best_back_size_l1 = coalesce(home_best_back_size_l1, ${h}::float8),
          away_best_back_size_l1 = coalesce(away_best_back_size_l1, ${a}::float8),
          draw_best_back_size_l1 = coalesce(draw_best_back_size_l1, ${d}::float8)
        where snapshot_id = ${row.snapshot_id}
          and (home_best_back_size_l1 is null or away_best_back_size_l1 is null or draw_best_back_size_l1 is null)`;
      counts.updated++;
      if (++pending >= batchSize) {
        await conn`commit`;
        await conn`begin`;
        pending = 0;
      }
    }
    await conn`commit`;
    counts.loopMs = performance.now() - t1;
  } catch (error) {
    await conn`rollback`.catch(() => {});
    throw error;
  } finally {
    conn.release();
  }
  return counts;
}
