/**
 * The deterministic day generator: meetings, races and runners for one date, in a neutral form that pages.ts renders
 * as results or racecards. Everything derives from (seed, date), so the same race_id and horse_id appear in both.
 */

import type { Change, Jockey, Person, Trainer } from './entities.ts';
import { drawRunner, type Horse, horseByDigits, JOCKEYS, jockey, owner, trainer } from './entities.ts';
import { decimalOdds, nearestPrice, parseDate } from './format.ts';
import { COURSES, type CourseInfo, SPONSORS } from './names.ts';
import { type Rng, rngFor } from './prng.ts';

export type RaceType = 'Flat' | 'Hurdle' | 'Chase' | 'NH Flat';

export interface NeutralRunner {
  horse: Horse;
  number: number;
  /** Stall number on the flat with stalls; null over jumps. */
  draw: number | null;
  age: number;
  lbs: number;
  ofr: number | null;
  rpr: number | null;
  ts: number | null;
  jockey: Jockey;
  trainer: Trainer;
  owner: Person;
  headgear: string;
  /** Index into PRICE_LADDER; `favourite` is 'F', 'J' or ''. */
  spIndex: number;
  favourite: '' | 'F' | 'J';
  /** '1', '2', ... or PU/UR/F/BD/RO; '' for a non-runner. */
  position: string;
  finishOrder: number;
  btn: number | null;
  ovrBtn: number | null;
  timeSec: number | null;
  prize: number | null;
  nonRunner: boolean;
  form: string;
  lastRunDays: number | null;
  comment: string;
}

export interface NeutralRace {
  raceId: string;
  /** The data seed the race was generated with. */
  seed: string;
  date: string;
  course: CourseInfo;
  region: 'GB' | 'IRE';
  /** Local off time in minutes after midnight. */
  offMinutes: number;
  raceName: string;
  type: RaceType;
  surface: 'Turf' | 'AW';
  raceClass: string;
  pattern: string;
  ageBand: string;
  ratingBand: string;
  sexRestriction: string;
  yards: number;
  going: string;
  goingDetailed: string;
  stalls: string;
  jumps: string;
  currency: 'GBP' | 'EUR';
  /** Winner's prize in currency units (pence/cents included). */
  prize: number;
  bigRace: boolean;
  isAbandoned: boolean;
  handicap: boolean;
  /** Declared runners in racecard order (by number); results leave out non-runners. */
  runners: NeutralRunner[];
  winnerTimeSec: number;
  standardDiffSec: number;
}

const BASE_BY_WEEKDAY = [30, 26, 30, 33, 34, 38, 50]; // Sunday..Saturday; mean about 34.4
const EPOCH_1988 = Date.UTC(1988, 0, 1);

/** British racing stopped for COVID-19 from 18 March to 31 May 2020 (Irish racing for most of it). */
const BLANK_SPANS: readonly (readonly [string, string])[] = [['2020-03-18', '2020-05-31']];

/**
 * How many races a date has before the region filter (GB+IRE). Christmas Eve, Christmas Day and the 2020 lockdown
 * are blank, which leaves about 3,920 racing dates in 2015-2025.
 */
export function raceCountForDate(date: string, seed: string, scale = 1): number {
  const ms = parseDate(date);
  if (ms === null) return 0;
  const mmdd = date.slice(5);
  if (mmdd === '12-24' || mmdd === '12-25') return 0;
  if (BLANK_SPANS.some(([from, to]) => date >= from && date <= to)) return 0;
  const rng = rngFor(seed, 'count', date);
  let base = BASE_BY_WEEKDAY[new Date(ms).getUTCDay()] as number;
  if (mmdd === '12-26') base = 62;
  const count = Math.round((base + rng.normal() * 4) * scale);
  return Math.max(0, Math.min(399, count));
}

function seasonWeight(course: CourseInfo, month: number): number {
  const summer = month >= 4 && month <= 9;
  if (course.kind === 'flat') return course.weight * (summer ? 1.6 : 0.1);
  if (course.kind === 'jumps') return course.weight * (summer ? 0.5 : 1.4);
  if (course.kind === 'aw') return course.weight * (summer ? 0.5 : 1.2);
  return course.weight;
}

function pickCourses(rng: Rng, meetings: number, month: number): CourseInfo[] {
  const chosen: CourseInfo[] = [];
  const taken = new Set<string>();
  for (let i = 0; i < meetings && taken.size < COURSES.length; i++) {
    const region = rng.chance(0.2) ? 'IRE' : 'GB';
    const pool = COURSES.filter((c) => c.region === region && !taken.has(c.id));
    const from = pool.length ? pool : COURSES.filter((c) => !taken.has(c.id));
    const course = rng.weighted(from.map((c) => [c, seasonWeight(c, month)] as const));
    taken.add(course.id);
    chosen.push(course);
  }
  return chosen;
}

const cache = new Map<string, NeutralRace[]>();
const CACHE_SIZE = 64;

/**
 * The day's races (with runners), optionally filtered by lower-case region codes ('gb', 'ire'), sorted by off time.
 * Cached per (date, seed, scale) in a small LRU; callers must not mutate the result.
 */
export function racesForDate(
  date: string,
  regions?: readonly string[],
  seed = 'default',
  scale = 1,
): readonly NeutralRace[] {
  const key = `${seed}|${scale}|${date}`;
  let races = cache.get(key);
  if (races) {
    cache.delete(key);
  } else {
    races = generateDay(date, seed, scale);
  }
  cache.set(key, races);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  if (!regions || regions.length === 0) return races;
  const wanted = new Set(regions.map((r) => r.toUpperCase()));
  return races.filter((r) => wanted.has(r.region));
}

function generateDay(date: string, seed: string, scale: number): NeutralRace[] {
  const total = raceCountForDate(date, seed, scale);
  if (total === 0) return [];
  const ms = parseDate(date) as number;
  const month = new Date(ms).getUTCMonth() + 1;
  const dayNumber = Math.round((ms - EPOCH_1988) / 86_400_000);
  const rng = rngFor(seed, 'day', date);
  const meetings = Math.max(1, Math.round(total / 7));
  const courses = pickCourses(rng, meetings, month);
  const races: NeutralRace[] = [];
  const perMeeting = Math.floor(total / courses.length);
  const extra = total % courses.length;
  const usedHorses = new Set<number>();
  courses.forEach((course, m) => {
    const count = perMeeting + (m < extra ? 1 : 0);
    const meetingRng = rngFor(seed, 'meeting', date, course.id);
    const summer = month >= 4 && month <= 9;
    const flat =
      course.kind === 'aw' || course.kind === 'flat'
        ? true
        : course.kind === 'jumps'
          ? false
          : meetingRng.chance(summer ? 0.7 : 0.15);
    const evening = meetingRng.chance(summer || course.kind === 'aw' ? 0.3 : 0.02);
    const start = evening
      ? meetingRng.int(33, 36) * 30 + meetingRng.int(0, 5) * 5
      : meetingRng.int(24, 27) * 30 + meetingRng.int(0, 5) * 5;
    const interval = meetingRng.pick([30, 30, 32, 33, 35]);
    const going = pickGoing(meetingRng, course, flat);
    for (let i = 0; i < count; i++) {
      const raceRng = rngFor(seed, 'race', date, course.id, i);
      const type: RaceType = flat
        ? 'Flat'
        : i === count - 1 && raceRng.chance(0.6)
          ? 'NH Flat'
          : raceRng.chance(0.6)
            ? 'Hurdle'
            : 'Chase';
      races.push(buildRace(raceRng, seed, date, course, type, start + i * interval, going, usedHorses));
    }
  });
  races.sort((a, b) => a.offMinutes - b.offMinutes || a.course.name.localeCompare(b.course.name));
  races.forEach((race, i) => {
    race.raceId = `rac_${5_000_000 + dayNumber * 400 + i}`;
  });
  return races;
}

function pickGoing(rng: Rng, course: CourseInfo, flat: boolean): string {
  if (course.kind === 'aw')
    return rng.pick(['Standard', 'Standard', 'Standard', 'Standard To Slow', 'Standard To Fast']);
  const options = flat
    ? ['Good To Firm', 'Good', 'Good', 'Good To Soft', 'Soft', 'Firm', 'Heavy']
    : ['Good', 'Good To Soft', 'Good To Soft', 'Soft', 'Soft', 'Heavy', 'Good To Firm'];
  if (course.region === 'IRE') options.push('Yielding', 'Yielding To Soft');
  return rng.pick(options);
}

const FLAT_FURLONGS = [5, 5, 6, 6, 7, 7, 8, 8, 8, 9, 10, 10, 11, 12, 12, 13, 14, 16, 18];
const EXTRA_YARDS = [0, 0, 0, 0, 0, 10, 15, 20, 34, 53, 100, 110, 150];
function buildRace(
  rng: Rng,
  seed: string,
  date: string,
  course: CourseInfo,
  type: RaceType,
  offMinutes: number,
  going: string,
  usedHorses: Set<number>,
): NeutralRace {
  const year = Number(date.slice(0, 4));
  const gb = course.region === 'GB';
  const flat = type === 'Flat';
  const furlongs = flat
    ? rng.pick(FLAT_FURLONGS)
    : type === 'NH Flat'
      ? rng.pick([13, 16, 16, 16, 18, 20])
      : type === 'Hurdle'
        ? rng.int(16, 25)
        : rng.chance(0.01)
          ? 34
          : rng.int(16, 28);
  const yards = furlongs * 220 + rng.pick(EXTRA_YARDS);
  const classNumber = rng.weighted([
    [1, 5],
    [2, 8],
    [3, 15],
    [4, 25],
    [5, 25],
    [6, flat ? 18 : 4],
    [7, flat && course.kind === 'aw' ? 5 : 0],
  ]);
  let pattern = '';
  if (classNumber === 1 && rng.chance(0.7)) {
    pattern = flat
      ? rng.weighted([
          ['Group 1', 1],
          ['Group 2', 2],
          ['Group 3', 3],
          ['Listed', 4],
        ])
      : rng.weighted([
          ['Grade 1', 1],
          ['Grade 2', 2],
          ['Grade 3', 2],
          ['Listed', 2],
        ]);
  }
  const handicap = pattern === '' && type !== 'NH Flat' && rng.chance(0.55);
  const twoYearOld = flat && !handicap && rng.chance(0.18);
  const sexRestriction = rng.weighted([
    ['', 85],
    [flat ? 'F' : 'M', 10],
    [flat ? 'C&G' : 'F&M', 5],
  ]);
  const ratingTop = [0, 0, 105, 95, 85, 75, 60, 50][classNumber] as number;
  const ratingBand = handicap ? (gb ? `0-${ratingTop}` : `${ratingTop - 25}-${ratingTop}`) : '';
  const ageBand = twoYearOld
    ? '2yo'
    : flat
      ? rng.pick(['3yo', '3yo+', '3yo+', '4yo+'])
      : type === 'NH Flat'
        ? rng.pick(['4-6yo', '4yo+'])
        : rng.pick(['4yo+', '4yo+', '5yo+']);
  const prizeBase = [0, 30_000, 12_000, 7_000, 4_200, 3_200, 2_600, 2_000][classNumber] as number;
  let prize = prizeBase * (0.8 + rng.next() * 0.6) * (pattern.endsWith('1') ? 8 : 1);
  if (!gb) prize = Math.round((prize * 1.3) / 50) * 50;
  else prize = Math.round(prize * 100) / 100;
  const raceWord = flat
    ? handicap
      ? 'Handicap'
      : twoYearOld
        ? rng.pick(['Novice Stakes', 'Maiden Stakes'])
        : pattern
          ? 'Stakes'
          : rng.pick(['Maiden Stakes', 'Novice Stakes', 'Conditions Stakes'])
    : type === 'NH Flat'
      ? 'Standard Open National Hunt Flat Race'
      : `${handicap ? 'Handicap' : rng.pick(["Novices'", 'Maiden', 'Juvenile'])} ${type}`;
  const sexWord =
    sexRestriction === 'F'
      ? "Fillies' "
      : sexRestriction === 'M'
        ? "Mares' "
        : sexRestriction === 'F&M'
          ? "Fillies' And Mares' "
          : '';
  const raceName = `${rng.pick(SPONSORS)} ${sexWord}${raceWord}${gb && !pattern ? ` (Class ${classNumber})` : ''}${pattern ? ` (${pattern})` : ''}`;

  const fieldSize = fieldSizeFor(rng, type, handicap);
  const group = twoYearOld ? 'flat2' : flat ? 'flat' : 'jumps';
  const runners: NeutralRunner[] = [];
  for (let n = 0; n < fieldSize; n++) {
    let horse: Horse | null = null;
    let age = 0;
    for (let attempt = 0; attempt < 20 && !horse; attempt++) {
      const drawn = drawRunner(group, year, rng.next());
      const digits = drawn.digits;
      age = drawn.age;
      if (usedHorses.has(digits)) continue;
      const candidate = horseByDigits(seed, digits);
      if (!candidate) continue;
      if (
        sexRestriction &&
        candidate.sexCode !== 'F' &&
        candidate.sexCode !== 'M' &&
        sexRestriction !== 'C&G'
      )
        continue;
      if (sexRestriction === 'C&G' && (candidate.sexCode === 'F' || candidate.sexCode === 'M')) continue;
      usedHorses.add(digits);
      horse = candidate;
    }
    if (!horse) continue;
    runners.push(buildRunner(rng, seed, date, horse, age, flat, handicap, ratingTop));
  }
  settleRace(rng, runners, type, flat, prize, gb);
  const speed = flat ? 17.8 : type === 'Chase' ? 15.2 : 15.8;
  const standardDiffSec = Math.round(rng.normal() * 400) / 100;
  const winnerTimeSec = Math.round((yards / speed + standardDiffSec) * 100) / 100;
  for (const runner of runners) {
    if (runner.ovrBtn !== null)
      runner.timeSec = Math.round((winnerTimeSec + runner.ovrBtn * (flat ? 0.2 : 0.25)) * 100) / 100;
  }
  const jumpsCount =
    type === 'Hurdle'
      ? Math.max(6, Math.round(furlongs / 2))
      : type === 'Chase'
        ? Math.round(furlongs * 0.75)
        : 0;
  return {
    raceId: '',
    seed,
    date,
    course,
    region: course.region,
    offMinutes,
    raceName,
    type,
    surface: course.kind === 'aw' ? 'AW' : 'Turf',
    raceClass: gb ? `Class ${classNumber}` : '',
    pattern,
    ageBand,
    ratingBand,
    sexRestriction,
    yards,
    going,
    goingDetailed: rng.chance(0.3) ? `${going} (Good in places)` : '',
    stalls: flat ? rng.pick(['Inside', 'Centre', 'Outside', 'Stands Side', 'Far Side']) : '',
    jumps: type === 'Hurdle' ? `${jumpsCount} hurdles` : type === 'Chase' ? `${jumpsCount} fences` : '',
    currency: gb ? 'GBP' : 'EUR',
    prize,
    bigRace: pattern === 'Group 1' || pattern === 'Grade 1',
    isAbandoned: rng.chance(0.003),
    handicap,
    runners,
    winnerTimeSec,
    standardDiffSec,
  };
}

function fieldSizeFor(rng: Rng, type: RaceType, handicap: boolean): number {
  if (type === 'Flat' && handicap && rng.chance(0.06)) return rng.int(16, 26);
  const mean = type === 'Chase' ? 8 : type === 'Flat' ? 9.6 : 9.4;
  return Math.max(2, Math.min(20, Math.round(mean + rng.normal() * 3.2)));
}

const HEADGEAR: [string, number][] = [
  ['', 70],
  ['p', 7],
  ['t', 7],
  ['h', 6],
  ['b', 4],
  ['v', 2],
  ['tp', 2],
  ['hp', 1],
  ['e/s', 1],
];

function buildRunner(
  rng: Rng,
  seed: string,
  date: string,
  horse: Horse,
  age: number,
  flat: boolean,
  handicap: boolean,
  ratingTop: number,
): NeutralRunner {
  const rated = handicap || rng.chance(0.4);
  const ofr = rated
    ? handicap
      ? ratingTop - rng.int(0, 25)
      : rng.int(flat ? 45 : 85, flat ? 115 : 160)
    : null;
  const topLbs = flat ? 140 : 168;
  const lbs =
    handicap && ofr !== null ? Math.max(topLbs - 28, topLbs - (ratingTop - ofr)) : topLbs - rng.int(4, 16);
  const debut = rng.chance(0.08);
  const formChars = '1234567890PUF';
  let form = '';
  if (!debut) {
    const runs = rng.int(1, 6);
    for (let i = 0; i < runs; i++)
      form += rng.chance(0.12) ? '-' : (formChars[rng.int(0, flat ? 9 : 12)] as string);
  }
  return {
    horse,
    number: 0,
    draw: null,
    age,
    lbs,
    ofr,
    rpr: rng.chance(0.8) ? rng.int(flat ? 40 : 80, flat ? 125 : 170) : null,
    ts: rng.chance(0.65) ? rng.int(flat ? 20 : 60, flat ? 115 : 160) : null,
    jockey: jockey(seed, rng.int(0, JOCKEYS - 1)),
    trainer: trainer(seed, currentIndex(horse.trainerIndex, horse.trainerChange, date)),
    owner: owner(seed, currentIndex(horse.ownerIndex, horse.ownerChange, date)),
    headgear: rng.weighted(HEADGEAR),
    spIndex: 0,
    favourite: '',
    position: '',
    finishOrder: 0,
    btn: null,
    ovrBtn: null,
    timeSec: null,
    prize: null,
    nonRunner: false,
    form,
    lastRunDays: debut ? null : rng.int(7, 300),
    comment: '',
  };
}

/** The trainer or owner on `date`: the previous one until the change. */
function currentIndex(index: number, change: Change | null, date: string): number {
  return change && date < change.date ? change.previousIndex : index;
}

const BEATEN = [0.05, 0.1, 0.2, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 8, 10, 15];
const PLACE_SHARES = [1, 0.3, 0.15, 0.075, 0.04, 0.02];

/** Numbers, draws, prices, non-runners and the finishing order (favourites win more often). */
function settleRace(
  rng: Rng,
  runners: NeutralRunner[],
  type: RaceType,
  flat: boolean,
  prize: number,
  gb: boolean,
): void {
  const draws = rng.shuffle(runners.map((_, i) => i + 1));
  runners.forEach((runner, i) => {
    runner.number = i + 1;
    runner.draw = flat ? (draws[i] as number) : null;
  });
  if (runners.length >= 4 && rng.chance(0.12)) {
    const nr = runners[rng.int(0, runners.length - 1)] as NeutralRunner;
    nr.nonRunner = true;
  }
  const starters = runners.filter((r) => !r.nonRunner);
  const strength = starters.map(() => Math.exp(rng.normal() * 0.9));
  const sum = strength.reduce((a, b) => a + b, 0);
  starters.forEach((runner, i) => {
    const probability = (strength[i] as number) / sum;
    runner.spIndex = nearestPrice(1 / (probability * 1.18));
  });
  const shortest = Math.min(...starters.map((r) => decimalOdds(r.spIndex)));
  const favourites = starters.filter((r) => decimalOdds(r.spIndex) === shortest);
  for (const f of favourites) f.favourite = favourites.length > 1 ? 'J' : 'F';
  // Plackett-Luce order by strength.
  const remaining = starters.map((runner, i) => ({ runner, s: strength[i] as number }));
  const order: NeutralRunner[] = [];
  while (remaining.length) {
    let r = rng.next() * remaining.reduce((a, b) => a + b.s, 0);
    let k = 0;
    for (; k < remaining.length - 1; k++) {
      r -= (remaining[k] as { s: number }).s;
      if (r < 0) break;
    }
    order.push((remaining.splice(k, 1)[0] as { runner: NeutralRunner }).runner);
  }
  const fallRate = type === 'Chase' ? 0.12 : type === 'Hurdle' ? 0.06 : type === 'NH Flat' ? 0.02 : 0;
  const finishers: NeutralRunner[] = [];
  const fallers: NeutralRunner[] = [];
  order.forEach((runner, i) => {
    if (i > 0 && rng.chance(fallRate)) {
      runner.position =
        type === 'Chase'
          ? rng.weighted([
              ['PU', 45],
              ['F', 25],
              ['UR', 22],
              ['BD', 5],
              ['RO', 3],
            ])
          : rng.weighted([
              ['PU', 62],
              ['F', 22],
              ['UR', 10],
              ['BD', 4],
              ['RO', 2],
            ]);
      fallers.push(runner);
    } else finishers.push(runner);
  });
  let total = 0;
  finishers.forEach((runner, i) => {
    const beaten = i === 0 ? 0 : rng.pick(BEATEN);
    total += beaten;
    runner.position = String(i + 1);
    runner.btn = beaten;
    runner.ovrBtn = Math.round(total * 100) / 100;
    const share = PLACE_SHARES[i];
    const places = starters.length >= 12 ? 6 : starters.length >= 8 ? 4 : 3;
    if (share !== undefined && i < places) {
      runner.prize = gb ? Math.round(prize * share * 100) / 100 : Math.round(prize * share);
    }
  });
  [...finishers, ...fallers].forEach((runner, i) => {
    runner.finishOrder = i + 1;
  });
}
