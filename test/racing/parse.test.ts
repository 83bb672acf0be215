import { describe, expect, test } from 'vitest';
import {
  colourCode,
  decimal,
  distanceToYards,
  furlongs,
  id,
  integer,
  isoDate,
  money,
  offDateTime,
  position,
  sexCode,
  sexWord,
  splitRegionSuffix,
  stonesPoundsToLbs,
  text,
  timeSeconds,
  toteAmounts,
  ukLocalTimestamp,
  weightStLbs,
} from '../../src/racing/parse.ts';
import { racecardRows, resultRows } from '../../src/racing/rows.ts';
import { irishResultRace, racecardRace, resultRace } from '../helpers/api-fixtures.ts';

describe('empty markers', () => {
  test("hyphen, en dash and '' are NULL; other text is trimmed", () => {
    expect(text('-')).toBeNull();
    expect(text('–')).toBeNull();
    expect(text('')).toBeNull();
    expect(text('  ')).toBeNull();
    expect(text(null)).toBeNull();
    expect(text(' Good ')).toBe('Good');
  });
  test("ratings '-' (racecards) and '–' (results) never become NaN or 0", () => {
    expect(integer('-')).toBeNull();
    expect(integer('–')).toBeNull();
    expect(integer('66')).toBe(66);
    expect(integer('12a')).toBeNull();
    expect(integer('1.5')).toBeNull();
    expect(decimal('–')).toBeNull();
    expect(decimal('9.50')).toBe(9.5);
    expect(decimal('.75')).toBe(0.75);
    expect(decimal('0.05')).toBe(0.05);
    expect(decimal('abc')).toBeNull();
  });
  test("pedigree ids '' are NULL", () => {
    expect(id('')).toBeNull();
    expect(id('dsi_468524')).toBe('dsi_468524');
  });
});

describe('dates and times', () => {
  test('off_dt keeps its offset; invalid strings are NULL', () => {
    expect(offDateTime('2025-10-13T20:10:00+01:00')).toBe('2025-10-13T20:10:00+01:00');
    expect(offDateTime('8:10')).toBeNull();
    expect(offDateTime('')).toBeNull();
  });
  test('dates must be real calendar dates', () => {
    expect(isoDate('2020-03-11')).toBe('2020-03-11');
    expect(isoDate('2023-02-30')).toBeNull();
    expect(isoDate('11/03/2020')).toBeNull();
  });
  test("finishing time 'm:ss.xx' becomes seconds", () => {
    expect(timeSeconds('2:19.97')).toBe(139.97);
    expect(timeSeconds('1:00.00')).toBe(60);
    expect(timeSeconds('59.10')).toBe(59.1);
    expect(timeSeconds('')).toBeNull();
    expect(timeSeconds('-')).toBeNull();
    expect(timeSeconds('2m 19.97s')).toBeNull();
  });
});

describe('colour, UK wall-clock times, tote dividends', () => {
  test('colour_code is the colour in capitals (as /horses/{id}/pro gives both)', () => {
    expect(colourCode('b')).toBe('B');
    expect(colourCode('b/br')).toBe('B/BR');
    expect(colourCode('')).toBeNull();
  });

  test("odds' 'YYYY-MM-DD HH:MM:SS' is UK time: BST in summer, GMT in winter", () => {
    expect(ukLocalTimestamp('2025-10-13 14:11:07')).toBe('2025-10-13T14:11:07+01:00');
    expect(ukLocalTimestamp('2025-01-13 14:11:07')).toBe('2025-01-13T14:11:07+00:00');
    expect(ukLocalTimestamp('2025-10-13T14:11:07+01:00')).toBe('2025-10-13T14:11:07+01:00');
    expect(ukLocalTimestamp('not a time')).toBeNull();
    expect(ukLocalTimestamp('')).toBeNull();
  });

  test('tote dividends: amounts and one currency; any part not money gives none', () => {
    expect(toteAmounts('£2.80 £1.50 £2.20')).toEqual({ amounts: [2.8, 1.5, 2.2], currency: 'GBP' });
    expect(toteAmounts('€12.40')).toEqual({ amounts: [12.4], currency: 'EUR' });
    expect(toteAmounts('')).toEqual({ amounts: null, currency: null });
    expect(toteAmounts('£2.80 n/a')).toEqual({ amounts: null, currency: null });
  });
});

describe('money', () => {
  test('pound, euro and commas', () => {
    expect(money('£4,193')).toEqual({ amount: 4193, currency: 'GBP' });
    expect(money('€5,900')).toEqual({ amount: 5900, currency: 'EUR' });
    expect(money('€5900')).toEqual({ amount: 5900, currency: 'EUR' });
    expect(money('4187.20', 'GBP')).toEqual({ amount: 4187.2, currency: 'GBP' });
    expect(money('4187.20')).toEqual({ amount: 4187.2, currency: null });
    expect(money('')).toEqual({ amount: null, currency: null });
    expect(money('£')).toEqual({ amount: null, currency: null });
  });
});

describe('positions, weights, distances, sex, names', () => {
  test('positions keep text and give a number only when numeric', () => {
    expect(position('1')).toEqual({ position: '1', positionNum: 1 });
    expect(position('12')).toEqual({ position: '12', positionNum: 12 });
    for (const code of ['PU', 'UR', 'F', 'BD', 'RO'])
      expect(position(code)).toEqual({ position: code, positionNum: null });
    expect(position('')).toEqual({ position: null, positionNum: null });
  });
  test("weight '9-5' is 131 lb and kept as text", () => {
    expect(stonesPoundsToLbs('9-5')).toBe(131);
    expect(stonesPoundsToLbs('11-4')).toBe(158);
    expect(stonesPoundsToLbs('131')).toBeNull();
    expect(weightStLbs('9-5')).toBe('9-5');
    expect(weightStLbs('-')).toBeNull();
  });
  test('racecard distances become yards; furlongs from both formats', () => {
    expect(distanceToYards('2m53y')).toBe(3573);
    expect(distanceToYards('1m3f')).toBe(2420);
    expect(distanceToYards('5f110y')).toBe(1210);
    expect(distanceToYards('7f')).toBe(1540);
    expect(distanceToYards('2m')).toBe(3520);
    expect(distanceToYards('')).toBeNull();
    expect(distanceToYards('long')).toBeNull();
    expect(furlongs('16.0')).toBe(16);
    expect(furlongs('11f')).toBe(11);
    expect(furlongs('7.5f')).toBe(7.5);
    expect(furlongs('')).toBeNull();
  });
  test('sex words map to codes; codes pass through', () => {
    expect(sexCode('M', 'mare')).toBe('M');
    expect(sexCode(null, 'gelding')).toBe('G');
    expect(sexCode('', 'filly')).toBe('F');
    expect(sexCode(null, 'colt')).toBe('C');
    expect(sexCode(null, 'F')).toBe('F');
    expect(sexCode(null, '')).toBeNull();
    expect(sexWord('gelding')).toBe('gelding');
    expect(sexWord('G')).toBeNull();
  });
  test('region suffixes split off names; (AW) is not a region', () => {
    expect(splitRegionSuffix('Veraison (IRE)')).toEqual({ name: 'Veraison', region: 'IRE' });
    expect(splitRegionSuffix('Sottsass (FR)')).toEqual({ name: 'Sottsass', region: 'FR' });
    expect(splitRegionSuffix('Border Gem')).toEqual({ name: 'Border Gem', region: null });
    expect(splitRegionSuffix('Clonmel (IRE)')).toEqual({ name: 'Clonmel', region: 'IRE' });
    expect(splitRegionSuffix('Kempton (AW)')).toEqual({ name: 'Kempton (AW)', region: null });
  });
});

describe('page -> rows mapping', () => {
  test('results: or->ofr, tsr->ts, class->race_class, sex_rest, distances kept apart, money, time', () => {
    const rows = resultRows([irishResultRace()]);
    const race = rows.races[0]!;
    expect(race).toMatchObject({
      id: 'rac_11746999',
      course: 'Clonmel',
      race_class: 'Class 4',
      sex_restriction: 'M',
      distance_text: '1m3f',
      distance_furlongs: 11,
      distance_yards: 2419,
      distance_metres: 2212,
      off_dt: '2025-10-13T20:10:00+01:00',
      tote_win: null,
    });
    expect(race).not.toHaveProperty('off_time');
    expect(race).not.toHaveProperty('going_detailed');
    expect(race).not.toHaveProperty('prize_amount');
    expect(rows.courses[0]).toEqual({
      id: 'crs_4550',
      name: 'Clonmel',
      region_code: 'ire',
      region: 'Ireland',
    });
    const [winner, pu] = rows.runners;
    expect(winner).toMatchObject({
      horse_name: 'Veraison',
      ofr: 66,
      rpr: 112,
      ts: null,
      weight_lbs: 131,
      weight_st_lbs: '9-5',
      time_seconds: 139.97,
      prize_amount: 5900,
      prize_currency: 'EUR',
      position: '1',
      position_num: 1,
      sex_code: 'F',
      sp_dec: 9.5,
    });
    expect(winner).not.toHaveProperty('form');
    expect(winner).not.toHaveProperty('odds');
    expect(pu).toMatchObject({
      position: 'PU',
      position_num: null,
      prize_amount: null,
      sire_id: null,
      time_seconds: null,
    });
    expect(rows.horses[0]).toMatchObject({
      id: 'hrs_42073850',
      name: 'Veraison',
      region: 'IRE',
      sex_code: 'F',
    });
    expect(rows.horses[0]).not.toHaveProperty('dob');
    expect(rows.horses[1]).toMatchObject({ sire_id: null, dam_id: null, damsire_id: null });
  });
  test('results: GB runner prizes without a symbol are GBP', () => {
    const rows = resultRows([resultRace()]);
    expect(rows.runners[0]).toMatchObject({ prize_amount: 4187.2, prize_currency: 'GBP' });
  });
  test('racecards: lbs->weight_lbs, last_run->last_run_days, odds and bookmakers, region from runner', () => {
    const rows = racecardRows([racecardRace()]);
    expect(rows.races[0]).toMatchObject({
      race_class: 'Class 4',
      sex_restriction: 'M',
      distance_text: '2m53y',
      distance_furlongs: 16,
      distance_yards: 3573,
      prize_amount: 4193,
      prize_currency: 'GBP',
      field_size: 8,
      is_big_race: false,
      is_abandoned: false,
      pattern: null,
    });
    expect(rows.races[0]).not.toHaveProperty('distance_metres');
    expect(rows.races[0]).not.toHaveProperty('tote_win');
    expect(rows.runners[0]).toMatchObject({
      weight_lbs: 158,
      ofr: null,
      rpr: null,
      ts: null,
      draw: 0,
      last_run_days: 186,
      trainer_rtf: 50,
      form: '542-',
      past_results_flags: ['C', 'D'],
      headgear: null,
    });
    expect(rows.runners[0]).not.toHaveProperty('position');
    expect(rows.runners[0]).not.toHaveProperty('odds');
    expect(rows.odds.map((o) => [o.bookmaker, o.decimal, o.updated])).toEqual([
      ['Bet365', 23, '2025-10-13T14:11:07+01:00'],
      ['William Hill', 21, '2025-10-13T14:11:07+01:00'],
    ]);
    expect(rows.bookmakers).toEqual([{ name: 'Bet365' }, { name: 'William Hill' }]);
    expect(rows.horses[0]).toMatchObject({
      name: 'Border Gem',
      sex: 'mare',
      sex_code: 'M',
      dob: '2020-03-11',
      colour: 'b',
      region: 'GB',
      breeder: 'T C Dawson',
    });
    expect(rows.trainers[0]).toMatchObject({ id: 'trn_11763', location: 'Brompton Regis, Somerset' });
  });
});
