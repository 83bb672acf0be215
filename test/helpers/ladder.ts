import type { Sql } from '../../src/db.ts';

// Betfair ladders in the real REST shape: {price, size} objects, best first (back descending, lay
// ascending). Selection ids follow the reference's illustrative MATCH_ODDS book; The Draw is 58805.

export const HOME = 1111111;
export const AWAY = 2222222;
export const DRAW = 58805;

export type Level = { price: unknown; size: unknown } | unknown[];

export const lv = (price: unknown, size: unknown) => ({ price, size });

export function runner(
  selectionId: unknown,
  back: Level[],
  lay: Level[] = [],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    selectionId,
    handicap: 0.0,
    status: 'ACTIVE',
    adjustmentFactor: 33.3,
    ex: { availableToBack: back, availableToLay: lay, tradedVolume: [] },
    ...extra,
  };
}

export function book(
  marketId: string,
  runners: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    marketId,
    isMarketDataDelayed: false,
    status: 'OPEN',
    betDelay: 0,
    inplay: false,
    totalMatched: 48213.55,
    numberOfRunners: runners.length,
    version: 6751234567,
    runners,
    ...extra,
  };
}

/** The reference's OPEN MATCH_ODDS book for market 1.253489253 (values of the original report). */
export function reportBook(marketId = '1.253489253'): Record<string, unknown> {
  return book(marketId, [
    runner(HOME, [lv(10.5, 21.53), lv(10.0, 343.34), lv(9.8, 120.0)], [lv(11.0, 56.1), lv(11.5, 90.0)]),
    runner(AWAY, [lv(1.5, 164.01), lv(1.49, 3345.92)], [lv(1.51, 410.7)]),
    runner(DRAW, [lv(4.1, 614.0), lv(4.0, 1876.42)], [lv(4.2, 205.0)]),
  ]);
}

export async function insertMetadata(
  sql: Sql,
  marketId: string,
  ids: { home?: number | null; away?: number | null; draw?: number | null } = {},
): Promise<void> {
  await sql`
    insert into market_event_metadata (market_id, event_name, home_selection_id, away_selection_id,
      draw_selection_id, home_runner_name, away_runner_name, draw_runner_name)
    values (${marketId}, 'Young Boys v Aston Villa', ${ids.home === undefined ? HOME : ids.home},
      ${ids.away === undefined ? AWAY : ids.away}, ${ids.draw === undefined ? DRAW : ids.draw},
      'Young Boys', 'Aston Villa', 'The Draw')
    on conflict (market_id) do nothing`;
}

/** A raw snapshot without a derived row (how legacy data or the earlier system's orphans look). */
export async function insertRawSnapshot(
  sql: Sql,
  marketId: string,
  snapshotAt: string,
  raw: unknown,
): Promise<number> {
  const [row] = await sql<{ id: number }[]>`
    insert into market_book_snapshots (market_id, snapshot_at, raw_payload)
    values (${marketId}, ${snapshotAt}, ${JSON.stringify(raw)}::text::jsonb)
    returning snapshot_id::int as id`;
  return row!.id;
}

/**
 * The original report's situation, rebuilt set-based: `snapshots` OPEN books over `markets` markets,
 * every one with a derived row; the last `nullRows` (all within the last 7 days) have NULL L1 back
 * sizes in all three columns although their raw ladders hold L1, and in one of them the home runner's
 * raw ladder has no back level at all. Back ladders have 2 or 3 levels, as the report saw.
 */
export async function buildL1Scenario(
  sql: Sql,
  { snapshots = 12_401, nullRows = 980, markets = 97 } = {},
): Promise<{ unfillableSnapshotId: number }> {
  const firstNull = snapshots - nullRows + 1;
  const unfillable = firstNull + Math.floor(nullRows / 2);
  await sql`
    insert into market_event_metadata (market_id, event_name, home_selection_id, away_selection_id,
      draw_selection_id, home_runner_name, away_runner_name, draw_runner_name)
    select '1.' || (253489252 + m), 'Home ' || m || ' v Away ' || m, 3000000 + 2 * m, 3000001 + 2 * m, 58805,
      'Home ' || m, 'Away ' || m, 'The Draw'
    from generate_series(1, ${markets}::int) m`;
  await sql`
    insert into market_book_snapshots (snapshot_id, market_id, snapshot_at, raw_payload, status, inplay, total_matched)
    select i, '1.' || (253489252 + m), at,
      jsonb_build_object('marketId', '1.' || (253489252 + m), 'isMarketDataDelayed', false, 'status', 'OPEN',
        'inplay', false, 'totalMatched', 1000 + i, 'runners', jsonb_build_array(
          jsonb_build_object('selectionId', 3000000 + 2 * m, 'handicap', 0, 'status', 'ACTIVE', 'ex',
            jsonb_build_object('availableToBack',
              CASE WHEN i = ${unfillable}::int THEN '[]'::jsonb ELSE jsonb_build_array(
                jsonb_build_object('price', 10.5, 'size', round(20 + (i % 97) * 1.13, 2)),
                jsonb_build_object('price', 10.0, 'size', 343.34)) || CASE WHEN i % 3 = 0 THEN
                jsonb_build_array(jsonb_build_object('price', 9.8, 'size', 120.0)) ELSE '[]'::jsonb END END,
              'availableToLay', jsonb_build_array(jsonb_build_object('price', 11.0, 'size', 56.1)),
              'tradedVolume', '[]'::jsonb)),
          jsonb_build_object('selectionId', 3000001 + 2 * m, 'handicap', 0, 'status', 'ACTIVE', 'ex',
            jsonb_build_object('availableToBack', jsonb_build_array(
                jsonb_build_object('price', 1.5, 'size', round(150 + (i % 89) * 0.71, 2)),
                jsonb_build_object('price', 1.49, 'size', 3345.92)),
              'availableToLay', jsonb_build_array(jsonb_build_object('price', 1.51, 'size', 410.7)),
              'tradedVolume', '[]'::jsonb)),
          jsonb_build_object('selectionId', 58805, 'handicap', 0, 'status', 'ACTIVE', 'ex',
            jsonb_build_object('availableToBack', jsonb_build_array(
                jsonb_build_object('price', 4.1, 'size', round(600 + (i % 83) * 0.37, 2)),
                jsonb_build_object('price', 4.0, 'size', 1876.42), jsonb_build_object('price', 3.95, 'size', 12.5)),
              'availableToLay', jsonb_build_array(jsonb_build_object('price', 4.2, 'size', 205.0)),
              'tradedVolume', '[]'::jsonb)))),
      'OPEN', false, 1000 + i
    from generate_series(1, ${snapshots}::int) i
    cross join lateral (select 1 + i % ${markets}::int as m) mk
    cross join lateral (select CASE WHEN i >= ${firstNull}::int
      THEN now() - (${snapshots}::int - i + 1) * interval '1 minute'
      ELSE timestamptz '2025-11-01' + i * interval '10 minutes' END as at) t`;
  await sql`select setval(pg_get_serial_sequence('market_book_snapshots', 'snapshot_id'), ${snapshots}::int)`;
  await sql.unsafe(`
    insert into market_derived_metrics (snapshot_id, market_id, snapshot_at, status, total_volume,
      ${DERIVED_ROLE_COLUMNS.join(', ')})
    select s.snapshot_id, s.market_id, s.snapshot_at, s.status, m.total_volume,
      ${DERIVED_ROLE_COLUMNS.map((c) => `m.${c}`).join(', ')}
    from market_book_snapshots s
    join market_event_metadata e using (market_id)
    cross join lateral derive_ladder_metrics(s.raw_payload, e.home_selection_id, e.away_selection_id,
      e.draw_selection_id) m`);
  await sql`
    update market_derived_metrics
    set home_best_back_size_l1 = null, away_best_back_size_l1 = null, draw_best_back_size_l1 = null
    where snapshot_id >= ${firstNull}::int`;
  return { unfillableSnapshotId: unfillable };
}

const DERIVED_ROLE_COLUMNS = ['home', 'away', 'draw'].flatMap((r) =>
  [
    'best_back',
    'best_lay',
    'best_back_size_l1',
    'best_lay_size_l1',
    'back_odds_l2',
    'back_size_l2',
    'back_odds_l3',
    'back_size_l3',
  ].map((f) => `${r}_${f}`),
);
