import { describe, expect, test } from 'vitest';
import { dedupeRows } from '../../src/racing/dedupe.ts';
import { loadDayRows } from '../../src/racing/load.ts';
import { racecardRows, resultRows } from '../../src/racing/rows.ts';
import { HORSES } from '../../src/racing/table-specs.ts';
import { upsertRows } from '../../src/racing/upsert.ts';
import {
  irishResultRace,
  racecardRace,
  racecardRunner,
  resultRace,
  resultRunner,
} from '../helpers/api-fixtures.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { racingChecksums } from '../helpers/racing-tables.ts';

const db = useTestDatabase();

async function race(id: string) {
  const [row] = await db.sql`select * from ra_mst_races where id = ${id}`;
  return row;
}
async function runner(raceId: string, horseId: string) {
  const [row] =
    await db.sql`select * from ra_mst_runners where race_id = ${raceId} and horse_id = ${horseId}`;
  return row;
}

describe('cross-source upserts', () => {
  test('a results page after a racecards page keeps every racecard-only column, and adds the results ones', async () => {
    const card = racecardRace({ race_id: 'rac_1', runners: [racecardRunner({ horse_id: 'hrs_1' })] });
    const result = resultRace({ race_id: 'rac_1', runners: [resultRunner({ horse_id: 'hrs_1' })] });
    await db.sql.begin((tx) => loadDayRows(tx, 'racecards', racecardRows([card])));
    await db.sql.begin((tx) => loadDayRows(tx, 'results', resultRows([result])));
    expect(await race('rac_1')).toMatchObject({
      going_detailed: 'Good (Good to Soft in places)',
      prize_currency: 'GBP',
      is_big_race: false,
      tip: 'Ride Like A Girl',
      distance_yards: 3573,
      distance_metres: 3267,
      tote_win: '£9.50',
      winning_time_detail: '3m 59.10s (slow by 9.10s)',
    });
    expect(Number((await race('rac_1'))?.prize_amount)).toBe(4193);
    const r = await runner('rac_1', 'hrs_1');
    expect(r).toMatchObject({
      form: '542-',
      last_run_days: 186,
      trainer_rtf: 50,
      position: '1',
      position_num: 1,
    });
    const [odds] =
      await db.sql`select count(*)::int as n from ra_runner_odds where race_id = 'rac_1' and horse_id = 'hrs_1'`;
    expect(odds?.n).toBe(2);
    expect(r?.past_results_flags).toEqual(['C', 'D']);
    expect(Number(r?.sp_dec)).toBe(9.5);
    const [horse] = await db.sql`select * from ra_horses where id = 'hrs_1'`;
    expect(horse).toMatchObject({
      name: 'Border Gem',
      sex: 'mare',
      sex_code: 'M',
      colour: 'b',
      region: 'GB',
    });
    expect(horse?.dob).toBeInstanceOf(Date);
    const [row] =
      await db.sql`select racecard_fetched_at, result_fetched_at from ra_mst_races where id = 'rac_1'`;
    expect(row?.racecard_fetched_at).not.toBeNull();
    expect(row?.result_fetched_at).not.toBeNull();
  });

  test('a racecards page after a results page keeps every results column', async () => {
    const result = resultRace({ race_id: 'rac_2', runners: [resultRunner({ horse_id: 'hrs_2' })] });
    const card = racecardRace({ race_id: 'rac_2', runners: [racecardRunner({ horse_id: 'hrs_2' })] });
    await db.sql.begin((tx) => loadDayRows(tx, 'results', resultRows([result])));
    await db.sql.begin((tx) => loadDayRows(tx, 'racecards', racecardRows([card])));
    expect(await race('rac_2')).toMatchObject({
      tote_pl: '£2.80 £1.50 £2.20',
      non_runners: 'Miss Chester (self certificate, coughing)',
      distance_metres: 3267,
      going_detailed: 'Good (Good to Soft in places)',
    });
    const r = await runner('rac_2', 'hrs_2');
    expect(r).toMatchObject({ position: '1', sp: '17/2', weight_st_lbs: '11-4', rpr: 112, form: '542-' });
    expect(Number(r?.time_seconds)).toBe(239.1);
    expect(Number(r?.prize_amount)).toBe(4187.2);
  });

  test('a results page never blanks dob, colour or breeder from racecards on the horse', async () => {
    await db.sql.begin((tx) =>
      loadDayRows(
        tx,
        'racecards',
        racecardRows([racecardRace({ race_id: 'rac_3', runners: [racecardRunner({ horse_id: 'hrs_3' })] })]),
      ),
    );
    await db.sql.begin((tx) =>
      loadDayRows(
        tx,
        'results',
        resultRows([
          resultRace({
            race_id: 'rac_3b',
            runners: [resultRunner({ horse_id: 'hrs_3', horse: 'Border Gem (GB)' })],
          }),
        ]),
      ),
    );
    const [horse] =
      await db.sql`select dob::text, colour, breeder, sex, name, region from ra_horses where id = 'hrs_3'`;
    expect(horse).toEqual({
      dob: '2020-03-11',
      colour: 'b',
      breeder: 'T C Dawson',
      sex: 'mare',
      name: 'Border Gem',
      region: 'GB',
    });
  });
});

describe('idempotence', () => {
  test('re-loading the same pages changes nothing: no updated rows, updated_at and checksums unchanged', async () => {
    const results = resultRows([resultRace({ race_id: 'rac_4' }), irishResultRace()]);
    const cards = racecardRows([racecardRace({ race_id: 'rac_4' })]);
    await db.sql.begin((tx) => loadDayRows(tx, 'results', results));
    await db.sql.begin((tx) => loadDayRows(tx, 'racecards', cards));
    const before = await racingChecksums(db.sql);
    const again = await db.sql.begin((tx) => loadDayRows(tx, 'results', results));
    const again2 = await db.sql.begin((tx) => loadDayRows(tx, 'racecards', cards));
    for (const counts of [again, again2])
      for (const [table, c] of Object.entries(counts)) {
        expect({ table, inserted: c.inserted, updated: c.updated }).toEqual({
          table,
          inserted: 0,
          updated: 0,
        });
      }
    expect(await racingChecksums(db.sql)).toEqual(before);
  });

  test('a real change bumps updated_at of that row only', async () => {
    await upsertRows(db.sql, HORSES, [
      { id: 'hrs_u1', name: 'A' },
      { id: 'hrs_u2', name: 'B' },
    ]);
    await db.sql`update ra_horses set updated_at = '2000-01-01' where id in ('hrs_u1', 'hrs_u2')`;
    const c = await upsertRows(db.sql, HORSES, [
      { id: 'hrs_u1', name: 'A2' },
      { id: 'hrs_u2', name: 'B' },
    ]);
    expect(c).toEqual({ rows: 2, inserted: 0, updated: 1 });
    const rows =
      await db.sql`select id, name, updated_at > '2001-01-01' as bumped from ra_horses where id like 'hrs_u%' order by id`;
    expect(rows).toEqual([
      { id: 'hrs_u1', name: 'A2', bumped: true },
      { id: 'hrs_u2', name: 'B', bumped: false },
    ]);
  });
});

describe('batches', () => {
  test('duplicate keys within a batch load once, later values winning without erasing earlier ones', async () => {
    const rows = dedupeRows(
      [
        { id: 'hrs_d', name: 'First', colour: 'b' },
        { id: 'hrs_d', name: 'Second', colour: null },
      ],
      ['id'],
    );
    expect(rows).toEqual([{ id: 'hrs_d', name: 'Second', colour: 'b' }]);
    const input = [
      { id: 'hrs_e', name: 'One' },
      { id: 'hrs_e', name: 'Two' },
    ];
    dedupeRows(input, ['id']);
    expect(input[0]).toEqual({ id: 'hrs_e', name: 'One' }); // the caller's rows are not changed
    // The same horse twice on one day (two races) and the same jockey in every race.
    const page = resultRows([
      resultRace({ race_id: 'rac_5a', runners: [resultRunner({ horse_id: 'hrs_5' })] }),
      resultRace({ race_id: 'rac_5b', runners: [resultRunner({ horse_id: 'hrs_5', position: 'UR' })] }),
    ]);
    const counts = await db.sql.begin((tx) => loadDayRows(tx, 'results', page));
    expect(counts.horses.rows).toBe(1);
    expect(counts.jockeys.rows).toBe(1);
    expect(counts.runners.inserted).toBe(2);
  });

  test('entities are written before runners, so brand-new horses, jockeys, trainers and owners satisfy the FKs', async () => {
    const page = resultRows([
      resultRace({
        race_id: 'rac_6',
        course_id: 'crs_new',
        runners: [
          resultRunner({
            horse_id: 'hrs_new',
            jockey_id: 'jky_new',
            trainer_id: 'trn_new',
            owner_id: 'own_new',
          }),
        ],
      }),
    ]);
    const counts = await db.sql.begin((tx) => loadDayRows(tx, 'results', page));
    expect(counts.runners.inserted).toBe(1);
    expect(counts.courses.inserted).toBe(1);
    const [r] = await db.sql`select count(*)::int as n from v_orphaned_runners`;
    expect(r?.n ?? 0).toBe(0);
  });

  test('ancestor horse ids are derived from the pedigree ids by the generated columns', async () => {
    await db.sql.begin((tx) =>
      loadDayRows(
        tx,
        'racecards',
        racecardRows([racecardRace({ race_id: 'rac_7', runners: [racecardRunner({ horse_id: 'hrs_7' })] })]),
      ),
    );
    const [p] =
      await db.sql`select sire, sire_horse_id, dam_horse_id, damsire_horse_id, region, breeder from ra_horse_pedigree where horse_id = 'hrs_7'`;
    expect(p).toEqual({
      sire: 'Gemix',
      sire_horse_id: 'hrs_5384960',
      dam_horse_id: 'hrs_5055113',
      damsire_horse_id: 'hrs_468524',
      region: 'GB',
      breeder: 'T C Dawson',
    });
  });

  test('a busy day (60 races x 10 runners) loads in one statement per table', async () => {
    const races = Array.from({ length: 60 }, (_, i) =>
      resultRace({
        race_id: `rac_bulk_${i}`,
        runners: Array.from({ length: 10 }, (_, j) =>
          resultRunner({ horse_id: `hrs_bulk_${i}_${j}`, jockey_id: `jky_bulk_${j}`, number: String(j + 1) }),
        ),
      }),
    );
    const rows = resultRows(races);
    const counts = await db.sql.begin((tx) => loadDayRows(tx, 'results', rows));
    expect(counts.runners.inserted).toBe(600);
    expect(counts.horses.inserted).toBe(600);
  });
});

describe('values through the array literals', () => {
  test('quotes, backslashes, braces, commas, the word NULL, empty text, unicode and newlines arrive unchanged', async () => {
    const tricky = [
      'say "hi"',
      'back\\slash \\"both\\"',
      '{braces}',
      'comma, here',
      'NULL',
      '',
      'Ölé – ’ 🐎',
      'two\nlines',
    ];
    const rows = tricky.map((name, i) => ({ id: `hrs_t${i}`, name, breeder: name }));
    await upsertRows(db.sql, HORSES, rows);
    const stored = await db.sql<{ id: string; name: string; breeder: string }[]>`
      select id, name, breeder from ra_horses where id like 'hrs_t%' order by id`;
    expect(stored).toEqual(rows);
  });

  test('an array column and odds rows keep tricky text', async () => {
    const page = racecardRows([
      racecardRace({
        race_id: 'rac_tricky',
        runners: [
          racecardRunner({
            horse_id: 'hrs_tricky',
            past_results_flags: ['C "quoted"', 'D\\1', 'NULL', '{x,y}'],
            odds: [{ bookmaker: 'Book "B"', fractional: '5/2', decimal: '3.5' }],
          }),
        ],
      }),
    ]);
    await db.sql.begin((tx) => loadDayRows(tx, 'racecards', page));
    const row = await runner('rac_tricky', 'hrs_tricky');
    expect(row?.past_results_flags).toEqual(['C "quoted"', 'D\\1', 'NULL', '{x,y}']);
    const odds =
      await db.sql`select bookmaker, fractional, decimal from ra_runner_odds where race_id = 'rac_tricky'`;
    expect(odds).toEqual([{ bookmaker: 'Book "B"', fractional: '5/2', decimal: '3.50' }]);
  });
});

describe('odds, BSP, tote and racecard extras as rows', () => {
  test('a racecard runner has one odds row per bookmaker with a numeric decimal, its history, and the extras', async () => {
    const page = racecardRows([
      racecardRace({
        race_id: 'rac_odds',
        runners: [
          racecardRunner({
            horse_id: 'hrs_odds',
            prev_trainers: [{ trainer: 'A Trainer', trainer_id: 'trn_1', change_date: '2025-03-01' }],
            prev_owners: [{ owner: 'An Owner', owner_id: 'own_1', change_date: '2024-11-20' }],
            medical: [{ date: '2024-06-02', type: 'Wind Surgery' }],
            odds: [
              {
                bookmaker: 'Bet365',
                fractional: '22/1',
                decimal: '23',
                ew_places: '3',
                ew_denom: '5',
                updated: '2025-10-13 14:11:07',
                history: [{ changed_at: '2025-10-13 11:02:00', fractional: '25/1', decimal: '26' }],
              },
              {
                bookmaker: 'William Hill',
                fractional: '20/1',
                decimal: '21',
                ew_places: '',
                ew_denom: '',
                updated: '',
              },
            ],
          }),
        ],
      }),
    ]);
    await db.sql.begin((tx) => loadDayRows(tx, 'racecards', page));
    const odds = await db.sql`
      select bookmaker, fractional, decimal::float8 as decimal, ew_places, ew_denom, updated
      from ra_runner_odds where race_id = 'rac_odds' and horse_id = 'hrs_odds' order by bookmaker`;
    expect(odds).toEqual([
      {
        bookmaker: 'Bet365',
        fractional: '22/1',
        decimal: 23,
        ew_places: 3,
        ew_denom: 5,
        updated: new Date('2025-10-13T13:11:07Z'), // UK summer time
      },
      {
        bookmaker: 'William Hill',
        fractional: '20/1',
        decimal: 21,
        ew_places: null,
        ew_denom: null,
        updated: null,
      },
    ]);
    const history = await db.sql`
      select bookmaker, changed_at, fractional, decimal::float8 as decimal from ra_runner_odds_history
      where race_id = 'rac_odds'`;
    expect(history).toEqual([
      { bookmaker: 'Bet365', changed_at: new Date('2025-10-13T10:02:00Z'), fractional: '25/1', decimal: 26 },
    ]);
    const u = await runner('rac_odds', 'hrs_odds');
    expect(u).toMatchObject({ trainer_14_days_runs: 3, trainer_14_days_wins: 1 });
    expect(Number(u?.trainer_14_days_percent)).toBe(33);
    expect(await db.sql`select trainer_id, trainer, change_date::text from ra_horse_prev_trainers`).toEqual([
      { trainer_id: 'trn_1', trainer: 'A Trainer', change_date: '2025-03-01' },
    ]);
    expect(await db.sql`select owner_id, change_date::text from ra_horse_prev_owners`).toEqual([
      { owner_id: 'own_1', change_date: '2024-11-20' },
    ]);
    expect(await db.sql`select date::text, type from ra_horse_medical`).toEqual([
      { date: '2024-06-02', type: 'Wind Surgery' },
    ]);
    const [h] =
      await db.sql`select colour, colour_code, enrichment_status from ra_horses where id = 'hrs_odds'`;
    expect(h).toEqual({ colour: 'b', colour_code: 'B', enrichment_status: 'racecard' });
    // A second load of the same card writes nothing.
    const again = await db.sql.begin((tx) => loadDayRows(tx, 'racecards', page));
    expect(again.odds).toMatchObject({ inserted: 0, updated: 0 });
    expect(again.oddsHistory).toMatchObject({ inserted: 0, updated: 0 });
  });

  test('results: BSP is numeric and the tote dividends are amounts with a currency, the text kept', async () => {
    const page = resultRows([
      resultRace({
        race_id: 'rac_bsp',
        tote_win: '£9.50',
        tote_pl: '£2.80 £1.50 £2.20',
        tote_ex: '£49',
        tote_trifecta: '',
        runners: [
          resultRunner({ horse_id: 'hrs_bsp', bsp: '9.42' }),
          resultRunner({ horse_id: 'hrs_nobsp', bsp: '' }),
        ],
      }),
    ]);
    await db.sql.begin((tx) => loadDayRows(tx, 'results', page));
    const bsp =
      await db.sql`select horse_id, bsp::float8 as bsp from ra_mst_runners where race_id = 'rac_bsp' order by horse_id`;
    expect(bsp).toEqual([
      { horse_id: 'hrs_bsp', bsp: 9.42 },
      { horse_id: 'hrs_nobsp', bsp: null },
    ]);
    const [r] = await db.sql`
      select tote_win, tote_win_amount::float8 as tote_win_amount, tote_pl_amounts::float8[] as pl,
             tote_ex_amount::float8 as tote_ex_amount, tote_trifecta_amount, tote_currency
      from ra_mst_races where id = 'rac_bsp'`;
    expect(r).toEqual({
      tote_win: '£9.50',
      tote_win_amount: 9.5,
      pl: [2.8, 1.5, 2.2],
      tote_ex_amount: 49,
      tote_trifecta_amount: null,
      tote_currency: 'GBP',
    });
    const [cov] =
      await db.sql`select result_runners::int, runners_with_bsp::int from v_bsp_coverage_by_year where year = 2025`;
    // Runners of the other tests' results (same year) have no bsp.
    expect(cov?.runners_with_bsp).toBe(1);
    expect(cov?.result_runners).toBeGreaterThan(1);
  });
});
