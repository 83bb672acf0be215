/**
 * Population figures of the simulated data over a date range: how many distinct horses ran, and how many of them ran
 * on or after a date (by default 2023-01-23, where `/v1/racecards/pro` history starts, so their profiles come with the
 * racecard). `populationStats` walks every date of the generator (exact; about 4 ms a date). `expectedPopulation`
 * computes the same figures from the career parameters and runner totals of a sample of dates, for checks that must be
 * quick; the test keeps the two in agreement.
 */
import { type NeutralRace, racesForDate } from './data.ts';
import { activeInSeason, CAREER_BLOCKS, FEMALE_SHARE, groupOf, type RunnerGroup } from './entities.ts';
import { addDays, parseDate } from './format.ts';
import { RACECARD_WINDOW_START } from './server.ts';

export interface PopulationOptions {
  seed?: string;
  scale?: number;
  /** Default 2023-01-23 (the start of racecard history). */
  since?: string;
}

export interface PopulationStats {
  from: string;
  to: string;
  since: string;
  dates: number;
  /** Dates with at least one race. */
  racingDates: number;
  /** Races with a result (not abandoned). */
  races: number;
  /** Starters: runners in results (non-runners and abandoned races left out). */
  runners: number;
  /** Distinct horses that started at least once in the range. */
  distinctHorses: number;
  /** Distinct horses that started at least once on or after `since`. */
  horsesSince: number;
  /** horsesSince / distinctHorses. */
  shareSince: number;
}

function checkRange(from: string, to: string): void {
  if (parseDate(from) === null || parseDate(to) === null || from > to) {
    throw new Error(`bad date range ${from}..${to}`);
  }
}

const starters = (race: NeutralRace) => (race.isAbandoned ? [] : race.runners.filter((r) => !r.nonRunner));

/** Exact figures: generates every date of the range. */
export function populationStats(from: string, to: string, options: PopulationOptions = {}): PopulationStats {
  checkRange(from, to);
  const { seed = 'default', scale = 1, since = RACECARD_WINDOW_START } = options;
  const all = new Set<number>();
  const late = new Set<number>();
  let dates = 0;
  let racingDates = 0;
  let races = 0;
  let runners = 0;
  for (let date = from; date <= to; date = addDays(date, 1)) {
    dates++;
    const day = racesForDate(date, undefined, seed, scale);
    if (day.length > 0) racingDates++;
    for (const race of day) {
      if (race.isAbandoned) continue;
      races++;
      for (const runner of starters(race)) {
        runners++;
        all.add(runner.horse.digits);
        if (date >= since) late.add(runner.horse.digits);
      }
    }
  }
  return {
    from,
    to,
    since,
    dates,
    racingDates,
    races,
    runners,
    distinctHorses: all.size,
    horsesSince: late.size,
    shareSince: all.size ? late.size / all.size : 0,
  };
}

type Restriction = 'open' | 'female' | 'male';

function raceGroup(race: NeutralRace): RunnerGroup {
  if (race.type !== 'Flat') return 'jumps';
  return race.ageBand === '2yo' ? 'flat2' : 'flat';
}

function restriction(race: NeutralRace): Restriction {
  if (race.sexRestriction === '') return 'open';
  return race.sexRestriction === 'C&G' ? 'male' : 'female';
}

/** Dates of one year on one side of `since`, and the starters per group and restriction of its sampled dates. */
interface Bucket {
  dates: number;
  sampled: number;
  starters: Record<string, number>;
}

/**
 * Expected figures from the generator's parameters: each horse is drawn uniformly from the horses whose career covers
 * the season (sex-restricted races from that sex only), so its number of starts in a season is close to Poisson with
 * mean (starters of its group) / (horses of its group racing that season). Starters per group come from every
 * `sampleEvery`-th date, scaled per year.
 */
export function expectedPopulation(
  from: string,
  to: string,
  options: PopulationOptions & { sampleEvery?: number } = {},
): { distinctHorses: number; horsesSince: number; shareSince: number } {
  checkRange(from, to);
  const { seed = 'default', scale = 1, since = RACECARD_WINDOW_START, sampleEvery = 9 } = options;
  const buckets = new Map<string, Bucket>();
  let index = 0;
  for (let date = from; date <= to; date = addDays(date, 1), index++) {
    const key = `${date.slice(0, 4)}|${date >= since}`;
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { dates: 0, sampled: 0, starters: {} };
      buckets.set(key, bucket);
    }
    bucket.dates++;
    // Sample the first date of every bucket, so that a short bucket (a few days before `since`) is never empty.
    if (index % sampleEvery !== 0 && bucket.dates > 1) continue;
    bucket.sampled++;
    for (const race of racesForDate(date, undefined, seed, scale)) {
      const key2 = `${raceGroup(race)}|${restriction(race)}`;
      bucket.starters[key2] = (bucket.starters[key2] ?? 0) + starters(race).length;
    }
  }
  const startsPerHorse = (year: number, late: boolean, group: RunnerGroup, female: boolean): number => {
    const bucket = buckets.get(`${year}|${late}`);
    if (!bucket) return 0;
    const factor = bucket.dates / bucket.sampled;
    const active = activeInSeason(group);
    const open = bucket.starters[`${group}|open`] ?? 0;
    const own = bucket.starters[`${group}|${female ? 'female' : 'male'}`] ?? 0;
    const sexShare = female ? FEMALE_SHARE : 1 - FEMALE_SHARE;
    return factor * (open / active + own / (active * sexShare));
  };
  const firstYear = Number(from.slice(0, 4));
  const lastYear = Number(to.slice(0, 4));
  let distinct = 0;
  let sinceCount = 0;
  for (const block of CAREER_BLOCKS) {
    const lastAge = block.startAge + block.seasons - 1;
    for (let foal = firstYear - lastAge; foal <= lastYear - block.startAge; foal++) {
      for (const female of [true, false]) {
        let mean = 0;
        let meanSince = 0;
        for (let age = block.startAge; age <= lastAge; age++) {
          const group = groupOf(block, age);
          const year = foal + age;
          const late = startsPerHorse(year, true, group, female);
          mean += startsPerHorse(year, false, group, female) + late;
          meanSince += late;
        }
        const horses = block.count * (female ? FEMALE_SHARE : 1 - FEMALE_SHARE);
        distinct += horses * (1 - Math.exp(-mean));
        sinceCount += horses * (1 - Math.exp(-meanSince));
      }
    }
  }
  return {
    distinctHorses: Math.round(distinct),
    horsesSince: Math.round(sinceCount),
    shareSince: distinct ? sinceCount / distinct : 0,
  };
}
