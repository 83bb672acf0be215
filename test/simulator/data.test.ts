import { describe, expect, test } from 'vitest';
import { addDays } from '../../src/simulator/format.ts';
import {
  horsePro,
  horseProMissing,
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
