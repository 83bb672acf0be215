/**
 * Fixed pools of horses, jockeys, trainers and owners. Every entity is a pure function of (seed, pool index), and every
 * id encodes its index, so any id can be decoded back to the same entity on any day: a horse keeps its name, sex, dob,
 * colour and pedigree wherever it appears. Pedigree ids are `sir_N`/`dam_N`/`dsi_N` where `hrs_N` is the ancestor itself
 * (stallions and broodmares are horses of their own pools). Parents are always older than their foals, so ancestry has
 * no cycles, and the oldest generation has empty pedigree ids.
 */
import {
  FIRST_NAMES,
  HORSE_SYLLABLES,
  HORSE_WORDS_A,
  HORSE_WORDS_B,
  OWNER_SUFFIXES,
  PLACES,
  STUD_WORDS,
  SURNAMES,
} from './names.ts';
import { hash32, rngFor } from './prng.ts';

export type HorseKind = 'runner' | 'stallion' | 'broodmare';

export interface Horse {
  id: string;
  digits: number;
  kind: HorseKind;
  /** Name without the breeding-region suffix (racecards); see `suffixed`. */
  name: string;
  region: string;
  sex: 'gelding' | 'mare' | 'filly' | 'colt';
  sexCode: 'G' | 'M' | 'F' | 'C';
  foalYear: number;
  dob: string;
  colour: string;
  breeder: string;
  sireDigits: number | null;
  damDigits: number | null;
  damsireDigits: number | null;
  /** Runners only: flat or jumps population, and their stable trainer/owner pool indexes. */
  jumps: boolean;
  trainerIndex: number;
  ownerIndex: number;
  /** Runners only: the calendar years of the first and last season raced; null for stallions and broodmares. */
  firstSeason: number | null;
  lastSeason: number | null;
  /** A move to the current trainer/owner: before `date` the horse ran for the previous one. */
  trainerChange: Change | null;
  ownerChange: Change | null;
  /** Date of a wind operation during the career, if any. */
  windSurgery: string | null;
}

export interface Change {
  previousIndex: number;
  /** 'YYYY-MM-DD', the first day with the current trainer/owner. */
  date: string;
}

export interface Person {
  id: string;
  name: string;
}
export interface Trainer extends Person {
  location: string;
}
export interface Jockey extends Person {
  claim: number;
}

/**
 * Foals per year entering the runner pool: indexes [0, FLAT_PER_FOAL_YEAR) race on the flat, the rest over jumps. With
 * the careers below this gives about 112,000 distinct runners over 2015-2025, as the real API has.
 */
export const FLAT_PER_FOAL_YEAR = 5000;
export const JUMPS_PER_FOAL_YEAR = 3450;
export const RUNNERS_PER_FOAL_YEAR = FLAT_PER_FOAL_YEAR + JUMPS_PER_FOAL_YEAR;
/** Sex of a runner: the first share are geldings, the next fillies/mares, the rest colts. */
const GELDING_SHARE = 0.45;
export const FEMALE_SHARE = 0.38;

/** A career: the age of the first season and how many seasons (calendar years) the horse races. */
export interface CareerShape {
  startAge: number;
  seasons: number;
}
/** Flat horses mostly start at 2 or 3 and race 2-4 seasons; jumpers start at 4-6 and race longer. Weights in %. */
const FLAT_STARTS: [number, number][] = [
  [2, 45],
  [3, 45],
  [4, 10],
];
const FLAT_SEASONS: [number, number][] = [
  [1, 20],
  [2, 28],
  [3, 24],
  [4, 14],
  [5, 7],
  [6, 4],
  [7, 2],
  [8, 1],
];
const JUMPS_STARTS: [number, number][] = [
  [4, 30],
  [5, 35],
  [6, 22],
  [7, 13],
];
const JUMPS_SEASONS: [number, number][] = [
  [1, 12],
  [2, 16],
  [3, 18],
  [4, 17],
  [5, 14],
  [6, 10],
  [7, 7],
  [8, 4],
  [9, 2],
];

/** A contiguous block of a foal year's pool indexes sharing one career shape. */
export interface CareerBlock extends CareerShape {
  jumps: boolean;
  /** First index in the foal year and number of horses. */
  from: number;
  count: number;
}

function careerBlocks(
  jumps: boolean,
  offset: number,
  size: number,
  starts: [number, number][],
  seasons: [number, number][],
): CareerBlock[] {
  const shapes = starts.flatMap(([startAge, ws]) =>
    seasons.map(([n, wn]) => ({ startAge, seasons: n, w: ws * wn })),
  );
  const total = shapes.reduce((a, b) => a + b.w, 0);
  const blocks: CareerBlock[] = [];
  let cumulative = 0;
  let from = offset;
  for (const shape of shapes) {
    cumulative += shape.w;
    const to = offset + Math.round((cumulative * size) / total);
    if (to > from)
      blocks.push({ jumps, startAge: shape.startAge, seasons: shape.seasons, from, count: to - from });
    from = to;
  }
  return blocks;
}

/** Every foal year's pool, split into career blocks: flat indexes first, then jumps. */
export const CAREER_BLOCKS: readonly CareerBlock[] = [
  ...careerBlocks(false, 0, FLAT_PER_FOAL_YEAR, FLAT_STARTS, FLAT_SEASONS),
  ...careerBlocks(true, FLAT_PER_FOAL_YEAR, JUMPS_PER_FOAL_YEAR, JUMPS_STARTS, JUMPS_SEASONS),
];

export function careerBlockOf(indexInYear: number): CareerBlock {
  let lo = 0;
  let hi = CAREER_BLOCKS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((CAREER_BLOCKS[mid] as CareerBlock).from <= indexInYear) lo = mid;
    else hi = mid - 1;
  }
  return CAREER_BLOCKS[lo] as CareerBlock;
}

/** Which runners a race draws from: two-year-olds on the flat, older flat horses, or jumpers. */
export type RunnerGroup = 'flat2' | 'flat' | 'jumps';

export function groupOf(block: CareerShape & { jumps: boolean }, age: number): RunnerGroup {
  return block.jumps ? 'jumps' : age === 2 ? 'flat2' : 'flat';
}

interface DrawEntry {
  age: number;
  from: number;
  /** Cumulative horse count before this entry. */
  before: number;
}
interface DrawTable {
  entries: DrawEntry[];
  /** Horses of the group racing in any one season (the same every year). */
  active: number;
}

function drawTable(group: RunnerGroup): DrawTable {
  const entries: DrawEntry[] = [];
  let active = 0;
  for (const block of CAREER_BLOCKS) {
    for (let age = block.startAge; age < block.startAge + block.seasons; age++) {
      if (groupOf(block, age) !== group) continue;
      entries.push({ age, from: block.from, before: active });
      active += block.count;
    }
  }
  return { entries, active };
}

const DRAW_TABLES: Record<RunnerGroup, DrawTable> = {
  flat2: drawTable('flat2'),
  flat: drawTable('flat'),
  jumps: drawTable('jumps'),
};

/** Horses of a group racing in a season: every horse whose career covers that season is equally likely to be drawn. */
export function activeInSeason(group: RunnerGroup): number {
  return DRAW_TABLES[group].active;
}

/** A runner of the group racing in `year`, drawn uniformly from the horses whose careers cover that year. */
export function drawRunner(
  group: RunnerGroup,
  year: number,
  uniform: number,
): { digits: number; age: number } {
  const table = DRAW_TABLES[group];
  const k = Math.floor(uniform * table.active);
  let lo = 0;
  let hi = table.entries.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((table.entries[mid] as DrawEntry).before <= k) lo = mid;
    else hi = mid - 1;
  }
  const entry = table.entries[lo] as DrawEntry;
  return { digits: runnerDigits(year - entry.age, entry.from + k - entry.before), age: entry.age };
}

const RUNNER_FIRST_YEAR = 1995;
const RUNNER_LAST_YEAR = 2035;
const STALLIONS = 800;
const STALLION_FIRST_YEAR = 1975;
const STALLION_YEARS = 40;
const BROODMARES = 60_000;
const BROODMARE_FIRST_YEAR = 1980;
const BROODMARE_YEARS = 40;
export const JOCKEYS = 400;
export const TRAINERS = 600;
export const OWNERS = 8000;

interface IdSpace {
  base: number;
  step: number;
  size: number;
}
const RUNNER_SPACE: IdSpace = {
  base: 20_000_000,
  step: 61,
  size: (RUNNER_LAST_YEAR - RUNNER_FIRST_YEAR + 1) * RUNNERS_PER_FOAL_YEAR,
};
const STALLION_SPACE: IdSpace = { base: 1_000_000, step: 97, size: STALLIONS };
const BROODMARE_SPACE: IdSpace = { base: 2_000_000, step: 29, size: BROODMARES };
const JOCKEY_SPACE: IdSpace = { base: 200_000, step: 173, size: JOCKEYS };
const TRAINER_SPACE: IdSpace = { base: 10_000, step: 617, size: TRAINERS };
const OWNER_SPACE: IdSpace = { base: 500_000, step: 19, size: OWNERS };

// Ids are spread inside each block so they do not look sequential; the offset is fixed per index (seed-independent).
function encode(space: IdSpace, index: number): number {
  return space.base + index * space.step + (hash32(`id|${space.base}|${index}`) % space.step);
}

function decode(space: IdSpace, digits: number): number | null {
  if (digits < space.base) return null;
  const index = Math.floor((digits - space.base) / space.step);
  if (index >= space.size) return null;
  return encode(space, index) === digits ? index : null;
}

export function runnerDigits(foalYear: number, indexInYear: number): number {
  return encode(RUNNER_SPACE, (foalYear - RUNNER_FIRST_YEAR) * RUNNERS_PER_FOAL_YEAR + indexInYear);
}

const stallionYear = (s: number): number =>
  STALLION_FIRST_YEAR + Math.floor((s * STALLION_YEARS) / STALLIONS);
const broodmareYear = (d: number): number =>
  BROODMARE_FIRST_YEAR + Math.floor((d * BROODMARE_YEARS) / BROODMARES);

/** Pool indexes whose foal year lies in [from, to]. */
function indexRange(
  first: number,
  years: number,
  size: number,
  from: number,
  to: number,
): [number, number] | null {
  const lo = Math.max(0, Math.ceil(((from - first) * size) / years));
  const hi = Math.min(size - 1, Math.ceil(((to + 1 - first) * size) / years) - 1);
  return lo <= hi ? [lo, hi] : null;
}

function parentsOf(
  seed: string,
  digits: number,
  foalYear: number,
): { sire: number | null; dam: number | null } {
  const rng = rngFor(seed, 'parents', digits);
  const sires = indexRange(STALLION_FIRST_YEAR, STALLION_YEARS, STALLIONS, foalYear - 22, foalYear - 4);
  const dams = indexRange(BROODMARE_FIRST_YEAR, BROODMARE_YEARS, BROODMARES, foalYear - 18, foalYear - 4);
  // Popular stallions cover many foals: skew the draw towards a few.
  const sire = sires
    ? encode(STALLION_SPACE, sires[0] + Math.floor(rng.next() ** 2 * (sires[1] - sires[0] + 1)))
    : null;
  const dam = dams ? encode(BROODMARE_SPACE, rng.int(dams[0], dams[1])) : null;
  return { sire, dam };
}

function classify(digits: number): { kind: HorseKind; index: number } | null {
  const runner = decode(RUNNER_SPACE, digits);
  if (runner !== null) return { kind: 'runner', index: runner };
  const stallion = decode(STALLION_SPACE, digits);
  if (stallion !== null) return { kind: 'stallion', index: stallion };
  const mare = decode(BROODMARE_SPACE, digits);
  if (mare !== null) return { kind: 'broodmare', index: mare };
  return null;
}

function foalYearOf(kind: HorseKind, index: number): number {
  if (kind === 'runner') return RUNNER_FIRST_YEAR + Math.floor(index / RUNNERS_PER_FOAL_YEAR);
  return kind === 'stallion' ? stallionYear(index) : broodmareYear(index);
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function horseName(seed: string, digits: number): string {
  const rng = rngFor(seed, 'name', digits);
  if (rng.chance(0.6)) return `${rng.pick(HORSE_WORDS_A)} ${rng.pick(HORSE_WORDS_B)}`;
  const parts = rng.int(2, 3);
  let word = '';
  for (let i = 0; i < parts; i++) word += rng.pick(HORSE_SYLLABLES);
  return capitalise(word);
}

function horseRegion(seed: string, digits: number, kind: HorseKind): string {
  const rng = rngFor(seed, 'region', digits);
  if (kind === 'stallion') {
    return rng.weighted([
      ['IRE', 35],
      ['GB', 30],
      ['USA', 20],
      ['FR', 10],
      ['GER', 5],
    ]);
  }
  return rng.weighted([
    ['GB', 50],
    ['IRE', 38],
    ['FR', 8],
    ['USA', 2],
    ['GER', 2],
  ]);
}

const COLOURS: [string, number][] = [
  ['b', 50],
  ['ch', 20],
  ['br', 12],
  ['gr', 8],
  ['b/br', 6],
  ['bl', 2],
  ['gr/ro', 2],
];

function personName(seed: string, kind: string, index: number): string {
  const rng = rngFor(seed, kind, 'name', index);
  return `${rng.pick(FIRST_NAMES)} ${rng.pick(SURNAMES)}`;
}

const horseCaches = new Map<string, Map<number, Horse | null>>();

/** The horse with these id digits, or null when the digits name no horse of any pool. */
export function horseByDigits(seed: string, digits: number): Horse | null {
  let cache = horseCaches.get(seed);
  if (!cache) {
    if (horseCaches.size > 8) horseCaches.clear();
    cache = new Map();
    horseCaches.set(seed, cache);
  }
  const cached = cache.get(digits);
  if (cached !== undefined) return cached;
  const horse = buildHorse(seed, digits);
  // Bounded memory: a year of racing touches roughly 150k horses and ancestors.
  if (cache.size > 300_000) cache.clear();
  cache.set(digits, horse);
  return horse;
}

function buildHorse(seed: string, digits: number): Horse | null {
  const found = classify(digits);
  if (!found) return null;
  const { kind, index } = found;
  const foalYear = foalYearOf(kind, index);
  const rng = rngFor(seed, 'horse', digits);
  let sex: Horse['sex'];
  if (kind === 'stallion') sex = 'colt';
  else if (kind === 'broodmare') sex = 'mare';
  else {
    const roll = rng.next();
    sex =
      roll < GELDING_SHARE
        ? 'gelding'
        : roll < GELDING_SHARE + FEMALE_SHARE
          ? foalYear < 2019
            ? 'mare'
            : 'filly'
          : 'colt';
  }
  const sexCode = ({ gelding: 'G', mare: 'M', filly: 'F', colt: 'C' } as const)[sex];
  const month = rng.weighted([
    [1, 5],
    [2, 20],
    [3, 30],
    [4, 30],
    [5, 15],
  ]);
  const day = rng.int(1, 28);
  const parents = parentsOf(seed, digits, foalYear);
  const damsire =
    parents.dam === null
      ? null
      : parentsOf(seed, parents.dam, foalYearOf('broodmare', classify(parents.dam)?.index ?? 0)).sire;
  const breeder = rng.chance(0.7)
    ? `${rng.pick(FIRST_NAMES).charAt(0)} ${rng.pick(FIRST_NAMES).charAt(0)} ${rng.pick(SURNAMES)}`
    : `${rng.pick(SURNAMES)} ${rng.pick(STUD_WORDS)}`;
  const indexInYear = kind === 'runner' ? index % RUNNERS_PER_FOAL_YEAR : 0;
  const block = kind === 'runner' ? careerBlockOf(indexInYear) : null;
  const firstSeason = block ? foalYear + block.startAge : null;
  const lastSeason = block ? foalYear + block.startAge + block.seasons - 1 : null;
  const careerDate = (): string =>
    `${(firstSeason as number) + rng.int(0, (lastSeason as number) - (firstSeason as number))}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`;
  const trainerIndex = hash32(`${seed}|trainer-of|${digits}`) % TRAINERS;
  const ownerIndex = hash32(`${seed}|owner-of|${digits}`) % OWNERS;
  const trainerChange =
    block && rng.chance(0.18)
      ? { previousIndex: (trainerIndex + 1 + rng.int(0, TRAINERS - 2)) % TRAINERS, date: careerDate() }
      : null;
  const ownerChange =
    block && rng.chance(0.15)
      ? { previousIndex: (ownerIndex + 1 + rng.int(0, OWNERS - 2)) % OWNERS, date: careerDate() }
      : null;
  const windSurgery = block && rng.chance(block.jumps ? 0.1 : 0.04) ? careerDate() : null;
  return {
    id: `hrs_${digits}`,
    digits,
    kind,
    name: horseName(seed, digits),
    region: horseRegion(seed, digits, kind),
    sex,
    sexCode,
    foalYear,
    dob: `${foalYear}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    colour: rng.weighted(COLOURS),
    breeder,
    sireDigits: parents.sire,
    damDigits: parents.dam,
    damsireDigits: damsire,
    jumps: block?.jumps ?? false,
    trainerIndex,
    ownerIndex,
    firstSeason,
    lastSeason,
    trainerChange,
    ownerChange,
    windSurgery,
  };
}

/** The horse name with its breeding-region suffix, as results and horse pro print it: `Veraison (IRE)`. */
export function suffixed(horse: Horse): string {
  return `${horse.name} (${horse.region})`;
}

export const jockey = memo(buildJockey);
function buildJockey(seed: string, index: number): Jockey {
  const rng = rngFor(seed, 'jockey', index);
  const claim = rng.chance(0.15) ? rng.pick([3, 5, 7]) : 0;
  return { id: `jky_${encode(JOCKEY_SPACE, index)}`, name: personName(seed, 'jockey', index), claim };
}

export const trainer = memo(buildTrainer);
function buildTrainer(seed: string, index: number): Trainer {
  const rng = rngFor(seed, 'trainer', index);
  let name = personName(seed, 'trainer', index);
  if (rng.chance(0.05)) name = `${name} & ${personName(seed, 'trainer-partner', index)}`;
  return { id: `trn_${encode(TRAINER_SPACE, index)}`, name, location: rng.pick(PLACES) };
}

export const owner = memo(buildOwner);
function buildOwner(seed: string, index: number): Person {
  const rng = rngFor(seed, 'owner', index);
  const roll = rng.next();
  const surname = rng.pick(SURNAMES);
  const name =
    roll < 0.55
      ? personName(seed, 'owner', index)
      : roll < 0.85
        ? `${surname} ${rng.pick(OWNER_SUFFIXES)}`
        : `Mr & Mrs ${rng.pick(FIRST_NAMES).charAt(0)} ${surname}`;
  return { id: `own_${encode(OWNER_SPACE, index)}`, name };
}

/** Caches a (seed, pool index) builder; pools are small and bounded. */
function memo<T>(build: (seed: string, index: number) => T): (seed: string, index: number) => T {
  const caches = new Map<string, Map<number, T>>();
  return (seed, index) => {
    let cache = caches.get(seed);
    if (!cache) {
      if (caches.size > 8) caches.clear();
      cache = new Map();
      caches.set(seed, cache);
    }
    let value = cache.get(index);
    if (value === undefined) {
      value = build(seed, index);
      cache.set(index, value);
    }
    return value;
  };
}

/** Parses `hrs_123` (or any `xxx_123`) into its digits; null if malformed. */
export function idDigits(id: string): number | null {
  const match = /^[a-z]{3}_(\d{1,10})$/.exec(id);
  return match?.[1] ? Number(match[1]) : null;
}
