// Synthetic Betfair data for the ladder benchmark, built set-based in SQL (no row crosses the wire):
// one metadata row per market (home/away/draw selection ids), N snapshots of three runners with three
// back and three lay levels each, and one derived row per snapshot with every metric filled except,
// for every tenth snapshot, the three L1 back sizes (NULL: the state the backfill repairs).
//
// Every value is a formula of the market number (snapshot id mod MARKETS), so the expected L1 sizes can
// be checked afterwards
// without trusting either implementation. Runner order is rotated so that matching by array position
// would be wrong (the roles are found by selectionId).
import type { Sql } from '../../src/db.ts';

export const MARKETS = 2_000;

/**
 * Back/lay price and size of level k (0-based) of role r (0 home, 1 away, 2 draw) in snapshot i: integer
 * arithmetic and one float8 division (numeric arithmetic made seeding several times slower). float8
 * prints its shortest exact form (1.82), so SQL, JSON and JavaScript all read back the same double.
 */
const backPrice = (i: string, r: number, k: number) =>
  `((150 + (${i} * 3 + ${r * 17}) % 400 - ${k}) / 100.0::float8)`;
const layPrice = (i: string, r: number, k: number) =>
  `((152 + (${i} * 3 + ${r * 17}) % 400 + ${k}) / 100.0::float8)`;
const size = (i: string, r: number, k: number, side: number) =>
  `((20 + (${i} * 31 + ${r * 7 + k * 13 + side * 101}) % 5000) / 10.0::float8)`;

/** The L1 back size the backfill must find for role r of snapshot i (SQL, float8). */
export const expectedL1 = (i: string, r: number) => size(i, r, 0, 0);

// The payload is assembled as JSON text and cast to jsonb once per row: nested jsonb_build_object calls
// re-encode every inner value at each level and made seeding about 10x slower.
const levels = (price: typeof backPrice, i: string, r: number, side: number) =>
  `'[' || ${[0, 1, 2]
    .map((k) => `'{"price":' || ${price(i, r, k)} || ',"size":' || ${size(i, r, k, side)} || '}'`)
    .join(` || ',' || `)} || ']'`;

const runner = (i: string, m: string, r: number): string =>
  `'{"selectionId":' || (${m} * 3 + ${r} + 1000000) || ',"handicap":0.0,"status":"ACTIVE","lastPriceTraded":' ||
   ${backPrice(i, r, 0)} || ',"totalMatched":' || ((${i} % 977) * 10.5::float8) ||
   ',"ex":{"availableToBack":' || ${levels(backPrice, i, r, 0)} || ',"availableToLay":' ||
   ${levels(layPrice, i, r, 1)} || ',"tradedVolume":[]}}'`;

const L1_NULL = (i: string) => `(${i} % 10 = 0)`;

function derivedColumns(i: string): { names: string[]; values: string[] } {
  const names: string[] = ['total_volume'];
  const values: string[] = [`(${i} % 9973) * 100.0::float8`];
  ['home', 'away', 'draw'].forEach((role, r) => {
    const add = (name: string, value: string) => {
      names.push(`${role}_${name}`);
      values.push(value);
    };
    add('best_back', backPrice(i, r, 0));
    add('best_lay', layPrice(i, r, 0));
    add('best_back_size_l1', size(i, r, 0, 0));
    add('best_lay_size_l1', size(i, r, 0, 1));
    add('back_odds_l2', backPrice(i, r, 1));
    add('back_size_l2', size(i, r, 1, 0));
    add('back_odds_l3', backPrice(i, r, 2));
    add('back_size_l3', size(i, r, 2, 0));
  });
  return { names, values };
}

/** Seeds markets and N snapshots with derived rows; returns the count of rows with NULL L1 sizes. */
export async function seedLadder(sql: Sql, snapshots: number): Promise<{ nullRows: number }> {
  await sql.unsafe(`
    insert into market_event_metadata (market_id, market_name, event_name, country_code, competition_name,
      market_start_time, home_selection_id, away_selection_id, draw_selection_id,
      home_runner_name, away_runner_name, draw_runner_name)
    select '1.' || (200000000 + m), 'Match Odds', 'Home ' || m || ' v Away ' || m, 'GB', 'Bench League',
           timestamptz '2026-01-01 15:00Z' + m * interval '1 hour',
           m * 3 + 1000000, m * 3 + 1 + 1000000, m * 3 + 2 + 1000000,
           'Home ' || m, 'Away ' || m, 'The Draw'
    from generate_series(0, ${MARKETS - 1}) m`);
  // One payload per market, built once: every snapshot of a market carries its market's ladder (the
  // backfill still reads and parses each row's own copy). Building JSON per row cost ~100 us a row.
  const rs = [0, 1, 2].map((r) => runner('m', 'm', r));
  await sql.unsafe(`
    create unlogged table bench_payloads as
    select m, ('{"marketId":"1.' || (200000000 + m) || '","isMarketDataDelayed":false,"status":"OPEN",' ||
              '"betDelay":0,"inplay":false,"numberOfRunners":3,"numberOfActiveRunners":3,"totalMatched":' ||
              ((m % 9973) * 100.0::float8) || ',"runners":[' ||
              case m % 3
                when 0 then ${rs[0]} || ',' || ${rs[1]} || ',' || ${rs[2]}
                when 1 then ${rs[2]} || ',' || ${rs[0]} || ',' || ${rs[1]}
                else ${rs[1]} || ',' || ${rs[2]} || ',' || ${rs[0]} end || ']}')::jsonb as payload
    from generate_series(0, ${MARKETS - 1}) m`);
  // Derived values per market too; only the NULL L1 rule depends on the snapshot.
  const d = derivedColumns('m');
  await sql.unsafe(`
    create unlogged table bench_derived as
    select m, ${d.values.map((v, k) => `${v} as ${d.names[k]}`).join(', ')}
    from generate_series(0, ${MARKETS - 1}) m`);
  const derivedValues = d.names.map((c) =>
    c.endsWith('_best_back_size_l1') ? `case when ${L1_NULL('g.i')} then null else v.${c} end` : `v.${c}`,
  );
  // Chunks of 200,000 keep each statement's memory and WAL burst small.
  const chunk = 200_000;
  for (let from = 1; from <= snapshots; from += chunk) {
    const to = Math.min(snapshots, from + chunk - 1);
    const series = `(select i, (i % ${MARKETS})::int as m from generate_series(${from}::bigint, ${to}::bigint) i) g`;
    const at = `timestamptz '2026-01-01 00:00Z' + (g.i / ${MARKETS}) * interval '15 minutes'`;
    await sql.unsafe(`
      insert into market_book_snapshots (snapshot_id, market_id, snapshot_at, raw_payload, status, inplay, total_matched)
      select g.i, '1.' || (200000000 + g.m), ${at}, p.payload, 'OPEN', false, (g.m % 9973) * 100.0::float8
      from ${series} join bench_payloads p on p.m = g.m`);
    await sql.unsafe(`
      insert into market_derived_metrics (snapshot_id, market_id, snapshot_at, status, ${d.names.join(', ')})
      select g.i, '1.' || (200000000 + g.m), ${at}, 'OPEN', ${derivedValues.join(', ')}
      from ${series} join bench_derived v on v.m = g.m`);
  }
  await sql.unsafe('drop table bench_payloads, bench_derived');
  await sql.unsafe(
    `select setval(pg_get_serial_sequence('market_book_snapshots', 'snapshot_id'), ${snapshots})`,
  );
  await sql.unsafe('vacuum analyze market_event_metadata, market_book_snapshots, market_derived_metrics');
  const [row] = await sql.unsafe<{ n: number }[]>(
    `select count(*)::int as n from market_derived_metrics where home_best_back_size_l1 is null`,
  );
  return { nullRows: row?.n ?? 0 };
}

/** L1 back-size cells still NULL, and filled cells that differ from the raw ladder (0 after a correct backfill). */
export async function checkL1(sql: Sql): Promise<{ nullRows: number; wrongRows: number }> {
  const wrong = [0, 1, 2]
    .map((r) => {
      const col = `d.${['home', 'away', 'draw'][r]}_best_back_size_l1`;
      return `(${col} is not null and ${col} <> ${expectedL1(`(d.snapshot_id % ${MARKETS})`, r)})`;
    })
    .join(' or ');
  const [row] = await sql.unsafe<{ nulls: number; wrong: number }[]>(`
    select count(*) filter (where d.home_best_back_size_l1 is null or d.away_best_back_size_l1 is null
                                  or d.draw_best_back_size_l1 is null)::int as nulls,
           count(*) filter (where ${wrong})::int as wrong
    from market_derived_metrics d`);
  return { nullRows: row?.nulls ?? 0, wrongRows: row?.wrong ?? 0 };
}
