import { describe, expect, test } from 'vitest';
import { CAREER_BLOCKS } from '../../src/simulator/entities.ts';
import { addDays } from '../../src/simulator/format.ts';
import {
  expectedPopulation,
  horsePro,
  horseProMissing,
  populationStats,
  raceCountForDate,
  racecardsPage,
  racesForDate,
  resultsPage,
} from '../../src/simulator/index.ts';

type Row = Record<string, unknown>;
const page = { limit: 500, skip: 0, query: [] as [string, string][] };

function dates(from: string, days: number): string[] {
  return Array.from({ length: days }, (_, i) => addDays(from, i));
}

describe('deterministic generator', () => {
  test('same date and seed give identical pages; another seed differs', () => {
    const a = JSON.stringify(racecardsPage('2024-06-15', page, 'alpha'));
    const b = JSON.stringify(racecardsPage('2024-06-15', page, 'alpha'));
    const c = JSON.stringify(racecardsPage('2024-06-15', page, 'beta'));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(JSON.stringify(resultsPage(['2024-06-15'], page, 'alpha'))).toBe(
      JSON.stringify(resultsPage(['2024-06-15'], page, 'alpha')),
    );
  });

  test('volume: 30-40 races a day, 8.5-10.5 runners a race, some days above 50, Christmas blank', () => {
    const days = dates('2024-03-01', 60);
    let races = 0;
    let runners = 0;
    let busy = 0;
    let minRunners = 99;
    let maxRunners = 0;
    for (const date of days) {
      const day = racesForDate(date);
      races += day.length;
      if (day.length > 50) busy++;
      for (const race of day) {
        runners += race.runners.length;
        minRunners = Math.min(minRunners, race.runners.length);
        maxRunners = Math.max(maxRunners, race.runners.length);
      }
    }
    expect(races / days.length).toBeGreaterThan(30);
    expect(races / days.length).toBeLessThan(40);
    expect(runners / races).toBeGreaterThan(8.5);
    expect(runners / races).toBeLessThan(10.5);
    expect(busy).toBeGreaterThan(0);
    expect(minRunners).toBeGreaterThanOrEqual(2);
    expect(maxRunners).toBeLessThanOrEqual(26);
    expect(racesForDate('2024-12-24')).toHaveLength(0);
    expect(racesForDate('2024-12-25')).toHaveLength(0);
    expect(racesForDate('2024-12-26').length).toBeGreaterThan(40);
  });

  test('horses, jockeys and trainers recur across days with the same identity', () => {
    const seen = new Map<string, string>();
    let repeats = 0;
    const jockeys = new Set<string>();
    for (const date of dates('2024-01-01', 30)) {
      for (const race of racesForDate(date)) {
        for (const runner of race.runners) {
          const identity = JSON.stringify([
            runner.horse.name,
            runner.horse.dob,
            runner.horse.sex,
            runner.horse.sireDigits,
          ]);
          const before = seen.get(runner.horse.id);
          if (before !== undefined) {
            repeats++;
            expect(before).toBe(identity);
          }
          seen.set(runner.horse.id, identity);
          jockeys.add(runner.jockey.id);
        }
      }
    }
    expect(repeats).toBeGreaterThan(500);
    expect(jockeys.size).toBeGreaterThan(300);
    expect(jockeys.size).toBeLessThanOrEqual(400);
  });

  test('racecards and results share race ids and horse ids (results may lack non-runners)', () => {
    const date = '2024-05-11';
    const cards = racecardsPage(date, page).racecards as Row[];
    const results = resultsPage([date], page).results as Row[];
    const cardRunners = new Map(
      cards.map((c) => [c.race_id, new Set((c.runners as Row[]).map((r) => r.horse_id))]),
    );
    expect(results.length).toBeGreaterThan(20);
    let nonRunners = 0;
    for (const result of results) {
      const declared = cardRunners.get(result.race_id);
      expect(declared).toBeDefined();
      const ran = (result.runners as Row[]).map((r) => r.horse_id);
      for (const id of ran) expect(declared?.has(id)).toBe(true);
      nonRunners += (declared?.size ?? 0) - ran.length;
    }
    expect(nonRunners).toBeGreaterThan(0);
    const abandoned = cards.filter((c) => c.is_abandoned).length;
    expect(results.length).toBe(cards.length - abandoned);
  });

  test('API quirks are present in the data', () => {
    const days = dates('2024-01-06', 7);
    const results = days.flatMap((d) => resultsPage([d], page).results as Row[]);
    const cards = days.flatMap((d) => racecardsPage(d, page).racecards as Row[]);
    const resultRunners = results.flatMap((r) => r.runners as Row[]);
    const cardRunners = cards.flatMap((r) => r.runners as Row[]);
    // Ratings: en dash in results, hyphen in racecards.
    expect(resultRunners.some((r) => r.rpr === '\u2013')).toBe(true);
    expect(resultRunners.some((r) => r.or === '-')).toBe(false);
    expect(cardRunners.some((r) => r.ofr === '-')).toBe(true);
    expect(cardRunners.some((r) => r.ofr === '\u2013')).toBe(false);
    // Money.
    expect(cards.some((c) => /^€\d{1,3}(,\d{3})*$/.test(c.prize as string))).toBe(true);
    expect(cards.some((c) => /^£\d{1,3}(,\d{3})*$/.test(c.prize as string))).toBe(true);
    expect(resultRunners.some((r) => /^\d+\.\d\d$/.test(r.prize as string))).toBe(true);
    expect(resultRunners.some((r) => /^€\d+$/.test(r.prize as string))).toBe(true);
    expect(resultRunners.some((r) => r.prize === '')).toBe(true);
    expect(results.some((r) => /^£\d+\.\d\d( £\d+\.\d\d)+$/.test(r.tote_pl as string))).toBe(true);
    // Positions, prices, times, weights, distances.
    for (const code of ['PU', 'UR', 'F']) expect(resultRunners.some((r) => r.position === code)).toBe(true);
    expect(resultRunners.some((r) => /^\d+\/\d+F$|^EvensF$/.test(r.sp as string))).toBe(true);
    expect(resultRunners.every((r) => /^\d+\.\d\d$/.test(r.sp_dec as string))).toBe(true);
    expect(
      resultRunners
        .filter((r) => /^\d+$/.test(r.position as string))
        .every((r) => /^\d+:\d\d\.\d\d$/.test(r.time as string)),
    ).toBe(true);
    expect(resultRunners.some((r) => (r.btn as string).startsWith('.'))).toBe(true);
    for (const r of resultRunners) {
      const [st, lb] = (r.weight as string).split('-').map(Number);
      expect((st as number) * 14 + (lb as number)).toBe(Number(r.weight_lbs));
    }
    for (const r of results) {
      expect(r.dist_m).toBe(String(Math.round(Number(r.dist_y) * 0.9144)));
      expect(r.dist_f).toMatch(/^\d+f$/);
      expect(r.off).toMatch(/^(1[0-2]|[1-9]):[0-5]\d$/);
    }
    for (const c of cards) {
      expect(c.distance).toMatch(/^(?=.)(\dm)?([1-7]f)?(\d{1,3}y)?$/);
      expect(c.distance_f).toMatch(/^\d+\.\d$/);
      expect(c.off_dt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+00:00$/); // January: GMT
      expect(typeof c.big_race).toBe('boolean');
      expect(c.field_size).toBe(String((c.runners as Row[]).length));
    }
    expect(racecardsPage('2024-07-06', page).racecards as Row[]).toSatisfy((list: Row[]) =>
      list.every((c) => (c.off_dt as string).endsWith('+01:00')),
    );
    // Names: suffix in results, none in racecards; sex words vs codes.
    expect(resultRunners.every((r) => / \([A-Z]{2,3}\)$/.test(r.horse as string))).toBe(true);
    expect(cardRunners.every((r) => !/\(/.test(r.horse as string))).toBe(true);
    expect(results.some((r) => (r.course as string).endsWith(' (IRE)'))).toBe(true);
    expect(new Set(cardRunners.map((r) => r.sex))).toEqual(new Set(['gelding', 'mare', 'filly', 'colt']));
    expect(resultRunners.every((r) => ['G', 'M', 'F', 'C'].includes(r.sex as string))).toBe(true);
    // Flat runners have draws, jumps runners none; jumps races say how many obstacles.
    expect(
      results.filter((r) => r.type === 'Hurdle').every((r) => /^\d+ hurdles$/.test(r.jumps as string)),
    ).toBe(true);
    expect(
      cards
        .filter((c) => c.type !== 'Flat')
        .flatMap((c) => c.runners as Row[])
        .every((r) => r.draw === ''),
    ).toBe(true);
    // Every scalar is a string except the two booleans.
    for (const c of cards.slice(0, 20)) {
      for (const [key, value] of Object.entries(c)) {
        if (key === 'big_race' || key === 'is_abandoned') continue;
        if (key !== 'runners') expect(typeof value).toBe('string');
      }
    }
  });
});

describe('horse pro', () => {
  test('runners resolve to the same horse, ancestors resolve via hrs_ + digits, about 3% answer 404', () => {
    const runners = racesForDate('2024-04-20').flatMap((r) => r.runners);
    let missing = 0;
    let checked = 0;
    for (const runner of runners) {
      const pro = horsePro(runner.horse.id);
      if (!pro) {
        missing++;
        expect(horseProMissing(runner.horse.id)).toBe(true);
        continue;
      }
      checked++;
      expect(pro.name).toBe(`${runner.horse.name} (${runner.horse.region})`);
      expect(pro.dob).toBe(runner.horse.dob);
      const sireId = pro.sire_id as string;
      expect(sireId).toMatch(/^sir_\d+$/);
      expect(pro.dam_id).toMatch(/^dam_\d+$/);
      expect(pro.damsire_id).toMatch(/^dsi_\d+$/);
      const sire = horsePro(`hrs_${sireId.slice(4)}`);
      if (sire) {
        expect(sire.name).toBe(pro.sire);
        expect(Number((sire.dob as string).slice(0, 4))).toBeLessThan(
          Number((pro.dob as string).slice(0, 4)),
        );
      }
      const dam = horsePro(`hrs_${(pro.dam_id as string).slice(4)}`);
      if (dam) {
        expect(dam.name).toBe(pro.dam);
        expect(dam.sex_code).toBe('M');
        // The damsire is the dam's sire.
        expect(dam.sire_id).toBe(`sir_${(pro.damsire_id as string).slice(4)}`);
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(missing).toBeGreaterThan(0);
    expect(missing / runners.length).toBeLessThan(0.08);
    expect(horsePro('hrs_12')).toBeNull();
    expect(horsePro(`sir_${runners[0]?.horse.digits}`)).toBeNull();
  });
});

describe('population over 2015-2025', () => {
  test('racing dates: Christmas Eve, Christmas Day and the spring 2020 lockdown are blank', () => {
    let racing = 0;
    let calendar = 0;
    for (let date = '2015-01-01'; date <= '2025-12-31'; date = addDays(date, 1)) {
      calendar++;
      if (raceCountForDate(date, 'default') > 0) racing++;
    }
    expect(calendar).toBe(4018);
    expect(racing).toBe(4018 - 22 - 75);
    expect(raceCountForDate('2020-04-15', 'default')).toBe(0);
    expect(raceCountForDate('2020-06-01', 'default')).toBeGreaterThan(0);
  });

  test('careers: flat horses mostly race 2-4 seasons, jumpers longer', () => {
    const median = (jumps: boolean) => {
      const blocks = CAREER_BLOCKS.filter((b) => b.jumps === jumps).sort((a, b) => a.seasons - b.seasons);
      const total = blocks.reduce((a, b) => a + b.count, 0);
      let seen = 0;
      for (const block of blocks) {
        seen += block.count;
        if (seen * 2 >= total) return block.seasons;
      }
      return 0;
    };
    expect(median(false)).toBeGreaterThanOrEqual(2);
    expect(median(false)).toBeLessThanOrEqual(4);
    expect(median(true)).toBeGreaterThan(median(false));
    // The draw honours careers: every starter races inside its own seasons.
    for (const date of ['2016-06-18', '2019-12-26', '2024-03-14']) {
      const year = Number(date.slice(0, 4));
      for (const runner of racesForDate(date).flatMap((r) => r.runners)) {
        expect(runner.horse.firstSeason).toBeLessThanOrEqual(year);
        expect(runner.horse.lastSeason).toBeGreaterThanOrEqual(year);
        expect(runner.age).toBe(year - runner.horse.foalYear);
      }
    }
  });

  test('the expected count from the career parameters agrees with the exact count on a window', () => {
    // Four months around 2023-01-23, so both figures and the split are compared.
    const exact = populationStats('2023-01-01', '2023-04-30');
    const expected = expectedPopulation('2023-01-01', '2023-04-30', { sampleEvery: 3 });
    expect(exact.racingDates).toBe(exact.dates);
    expect(exact.runners / exact.races).toBeGreaterThan(8.5);
    expect(expected.distinctHorses / exact.distinctHorses).toBeGreaterThan(0.97);
    expect(expected.distinctHorses / exact.distinctHorses).toBeLessThan(1.03);
    expect(expected.horsesSince / exact.horsesSince).toBeGreaterThan(0.97);
    expect(expected.horsesSince / exact.horsesSince).toBeLessThan(1.03);
    expect(exact.horsesSince).toBeLessThan(exact.distinctHorses);
  });

  test('about 112,000 distinct horses (within 5%), 30-50% of them running from 2023-01-23 on', () => {
    const full = expectedPopulation('2015-01-01', '2025-12-31', { sampleEvery: 29 });
    expect(full.distinctHorses).toBeGreaterThan(112_000 * 0.95);
    expect(full.distinctHorses).toBeLessThan(112_000 * 1.05);
    expect(full.shareSince).toBeGreaterThan(0.3);
    expect(full.shareSince).toBeLessThan(0.5);
  });

  test('bad ranges are refused', () => {
    expect(() => populationStats('2025-01-02', '2025-01-01')).toThrow('bad date range');
    expect(() => expectedPopulation('2025-02-30', '2025-03-01')).toThrow('bad date range');
  });
});

describe('racecard runners carry the horse profile', () => {
  test('every field of /horses/{id}/pro except colour_code matches the racecard runner', () => {
    const runners = (racecardsPage('2024-05-18', page).racecards as Row[]).flatMap((c) => c.runners as Row[]);
    const suffix = (name: unknown, region: unknown) => (name === '' ? '' : `${name} (${region})`);
    let compared = 0;
    for (const runner of runners) {
      const pro = horsePro(runner.horse_id as string);
      if (!pro) continue;
      compared++;
      expect({
        id: runner.horse_id,
        name: suffix(runner.horse, runner.region),
        dob: runner.dob,
        sex: runner.sex,
        sex_code: runner.sex_code,
        colour: runner.colour,
        breeder: runner.breeder,
        sire: suffix(runner.sire, runner.sire_region),
        sire_id: runner.sire_id,
        dam: suffix(runner.dam, runner.dam_region),
        dam_id: runner.dam_id,
        damsire: suffix(runner.damsire, runner.damsire_region),
        damsire_id: runner.damsire_id,
        colour_code: (runner.colour as string).toUpperCase(),
      }).toEqual(pro);
    }
    expect(compared).toBeGreaterThan(200);
  });
});

describe('odds, bsp, tote and racecard extras', () => {
  const days = dates('2024-02-01', 7);
  const cards = days.flatMap((d) => racecardsPage(d, page).racecards as Row[]);
  const cardRunners = cards.flatMap((c) => c.runners as Row[]);
  const results = days.flatMap((d) => resultsPage([d], page).results as Row[]);

  test('racecard odds: 8-25 bookmakers per runner, decimal strings, each-way terms, some history', () => {
    const counts = new Set<number>();
    let withHistory = 0;
    for (const [i, runner] of cardRunners.entries()) {
      const odds = runner.odds as Row[];
      if (odds.length === 0) continue; // non-runner
      counts.add(odds.length);
      if (i % 10 !== 0) continue; // the shapes on a tenth of the runners keep the test quick
      expect(new Set(odds.map((o) => o.bookmaker)).size).toBe(odds.length);
      for (const o of odds) {
        expect(o.fractional).toMatch(/^(\d+\/\d+|Evens)$/);
        expect(o.decimal).toMatch(/^\d+(\.\d{1,2})?$/);
        expect(`${o.ew_places}/${o.ew_denom}`).toMatch(/^(\/|2\/4|3\/5|4\/4)$/);
        expect(o.updated).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        const history = o.history as Row[];
        if (history.length) withHistory++;
        let before = '';
        for (const h of history) {
          expect(Object.keys(h)).toEqual(['changed_at', 'fractional', 'decimal']);
          expect((h.changed_at as string) > before).toBe(true);
          expect((h.changed_at as string) < (o.updated as string)).toBe(true);
          before = h.changed_at as string;
        }
      }
    }
    expect(Math.max(...counts)).toBe(25);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(8);
    expect(withHistory).toBeGreaterThan(0);
    expect(cardRunners.some((r) => (r.odds as Row[]).length === 0)).toBe(true);
  });

  test('results: bsp decimal strings close to the SP, a few missing; tote amounts with a currency sign', () => {
    const runners = results.flatMap((r) => r.runners as Row[]);
    const priced = runners.filter((r) => r.bsp !== '');
    expect(priced.length / runners.length).toBeGreaterThan(0.97);
    expect(priced.length).toBeLessThan(runners.length);
    for (const r of priced) {
      expect(r.bsp).toMatch(/^\d+(\.\d{1,2})?$/);
      const ratio = (Number(r.bsp) - 1) / (Number(r.sp_dec) - 1);
      expect(ratio).toBeGreaterThan(0.3);
      expect(ratio).toBeLessThan(3);
    }
    for (const race of results) {
      const sign = race.region === 'GB' ? '£' : '€';
      for (const key of ['tote_win', 'tote_ex', 'tote_csf', 'tote_tricast', 'tote_trifecta']) {
        expect(race[key]).toMatch(new RegExp(`^(\\${sign}\\d+\\.\\d\\d)?$`));
      }
      expect(race.tote_pl).toMatch(new RegExp(`^\\${sign}\\d+\\.\\d\\d( \\${sign}\\d+\\.\\d\\d)*$`));
    }
  });

  test('racecard extras: trainer_14_days, previous trainers and owners, medical, quotes, stable tour', () => {
    for (const [card, runner] of cards.flatMap((c) => (c.runners as Row[]).map((r) => [c, r] as const))) {
      const t14 = runner.trainer_14_days as Row;
      expect(Object.keys(t14)).toEqual(['runs', 'wins', 'percent']);
      expect(Number(t14.wins)).toBeLessThanOrEqual(Number(t14.runs));
      for (const p of runner.prev_trainers as Row[]) {
        expect(Object.keys(p)).toEqual(['trainer', 'trainer_id', 'change_date']);
        expect(p.trainer_id).toMatch(/^trn_\d+$/);
        expect(p.trainer_id).not.toBe(runner.trainer_id);
        expect((p.change_date as string) <= (card.date as string)).toBe(true);
      }
      for (const p of runner.prev_owners as Row[]) {
        expect(Object.keys(p)).toEqual(['owner', 'owner_id', 'change_date']);
        expect(p.owner_id).toMatch(/^own_\d+$/);
        expect((p.change_date as string) <= (card.date as string)).toBe(true);
      }
      for (const m of runner.medical as Row[]) {
        expect(m).toEqual({ date: expect.stringMatching(/^\d{4}-\d\d-\d\d$/), type: 'Wind Surgery' });
      }
      for (const q of runner.stable_tour as Row[]) expect(Object.keys(q)).toEqual(['quote']);
    }
    for (const key of ['prev_trainers', 'prev_owners', 'medical', 'quotes', 'stable_tour']) {
      expect(cardRunners.some((r) => (r[key] as Row[]).length > 0)).toBe(true);
    }
  });

  test('a trainer change shows on cards from its date, beside the current trainer', () => {
    const moved = racesForDate('2024-02-03')
      .flatMap((r) => r.runners)
      .find((r) => r.horse.trainerChange !== null && r.horse.trainerChange.date <= '2024-02-03');
    expect(moved).toBeDefined();
    const change = moved?.horse.trainerChange;
    const card = (racecardsPage('2024-02-03', page).racecards as Row[])
      .flatMap((c) => c.runners as Row[])
      .find((r) => r.horse_id === moved?.horse.id) as Row;
    expect((card.prev_trainers as Row[])[0]?.change_date).toBe(change?.date);
    expect(card.trainer_id).toBe(moved?.trainer.id);
  });
});
