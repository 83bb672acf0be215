/**
 * Renders the neutral day data into the API's JSON shapes (racing-api.md §6-8): results pages, racecards pro pages,
 * horse pro and courses. Every scalar is a string except big_race/is_abandoned.
 */
import { type NeutralRace, type NeutralRunner, racesForDate } from './data.ts';
import {
  type Change,
  type Horse,
  horseByDigits,
  idDigits,
  owner,
  type Person,
  suffixed,
  trainer,
} from './entities.ts';
import {
  decimalOdds,
  distanceText,
  fractional,
  furlongsText,
  lengths,
  money,
  offDt,
  PRICE_LADDER,
  raceTime,
  roundedFurlongs,
  shortDecimal,
  stonesPounds,
  twelveHour,
} from './format.ts';
import {
  BOOKMAKERS,
  COMMENT_ENDINGS,
  COMMENT_PHRASES,
  COURSES,
  type CourseInfo,
  REGION_NAMES,
  STABLE_TOUR_QUOTES,
} from './names.ts';
import { hash32, type Rng, rngFor } from './prng.ts';

export type Json = Record<string, unknown>;

const RESULT_MISSING = '\u2013'; // results print missing ratings as an en dash
const CARD_MISSING = '-';

const rating = (value: number | null, missing: string): string => (value === null ? missing : String(value));

function silkUrl(runner: NeutralRunner): string {
  const n = String(idDigits(runner.owner.id) ?? 0).slice(-6);
  return `https://www.rp-assets.com/svg/${n[5] ?? '0'}/${n[4] ?? '0'}/${n[3] ?? '0'}/${n}.svg`;
}

function sp(runner: NeutralRunner): string {
  return `${fractional(runner.spIndex)}${runner.favourite}`;
}

function resultComment(race: NeutralRace, runner: NeutralRunner): string {
  const rng = rngFor('comment', race.raceId, runner.horse.digits);
  const longer = PRICE_LADDER[Math.min(PRICE_LADDER.length - 1, runner.spIndex + 1)] as readonly [
    number,
    number,
  ];
  return `${rng.pick(COMMENT_PHRASES)} - ${rng.pick(COMMENT_ENDINGS)} (op ${longer[0]}/${longer[1]})`;
}

function resultRunner(race: NeutralRace, runner: NeutralRunner): Json {
  const horse = runner.horse;
  const sire = horse.sireDigits === null ? null : horseByDigits(seedOf(race), horse.sireDigits);
  const dam = horse.damDigits === null ? null : horseByDigits(seedOf(race), horse.damDigits);
  const damsire = horse.damsireDigits === null ? null : horseByDigits(seedOf(race), horse.damsireDigits);
  const finished = runner.ovrBtn !== null;
  const prize =
    runner.prize === null ? '' : race.currency === 'GBP' ? runner.prize.toFixed(2) : `€${runner.prize}`;
  return {
    horse_id: horse.id,
    horse: suffixed(horse),
    sp: sp(runner),
    sp_dec: decimalOdds(runner.spIndex).toFixed(2),
    bsp: bsp(race, runner),
    number: String(runner.number),
    position: runner.position,
    draw: runner.draw === null ? '' : String(runner.draw),
    btn: runner.btn === null ? '' : lengths(runner.btn),
    ovr_btn: runner.ovrBtn === null ? '' : lengths(runner.ovrBtn),
    age: String(runner.age),
    sex: horse.sexCode,
    weight: stonesPounds(runner.lbs),
    weight_lbs: String(runner.lbs),
    headgear: runner.headgear,
    time: finished && runner.timeSec !== null ? raceTime(runner.timeSec) : '-',
    or: rating(runner.ofr, RESULT_MISSING),
    rpr: rating(runner.rpr, RESULT_MISSING),
    tsr: rating(runner.ts, RESULT_MISSING),
    prize,
    jockey: runner.jockey.name,
    jockey_claim_lbs: String(runner.jockey.claim),
    jockey_id: runner.jockey.id,
    trainer: runner.trainer.name,
    trainer_id: runner.trainer.id,
    owner: runner.owner.name,
    owner_id: runner.owner.id,
    sire: sire ? suffixed(sire) : '',
    sire_id: sire ? `sir_${sire.digits}` : '',
    dam: dam ? suffixed(dam) : '',
    dam_id: dam ? `dam_${dam.digits}` : '',
    // Results usually print the damsire without its suffix.
    damsire: damsire ? damsire.name : '',
    damsire_id: damsire ? `dsi_${damsire.digits}` : '',
    comment: resultComment(race, runner),
    silk_url: silkUrl(runner),
  };
}

const seedOf = (race: NeutralRace): string => race.seed;

/**
 * Betfair starting price (v1.4.3), a decimal string such as '9.42' or '23'; usually a little above the SP for outsiders.
 * About 1% of runners have none ('').
 */
function bsp(race: NeutralRace, runner: NeutralRunner): string {
  const rng = rngFor(race.seed, 'bsp', race.raceId, runner.horse.digits);
  if (rng.chance(0.01)) return '';
  const sp = decimalOdds(runner.spIndex);
  const value = 1 + (sp - 1) * Math.exp(rng.normal() * 0.15 + (sp > 6 ? 0.12 : 0.02));
  return shortDecimal(Math.max(1.01, value));
}

function tote(race: NeutralRace, amount: number): string {
  return `${race.currency === 'GBP' ? '£' : '€'}${amount.toFixed(2)}`;
}

export function resultRace(race: NeutralRace): Json {
  const rng = rngFor('tote', race.raceId);
  const starters = race.runners.filter((r) => !r.nonRunner).sort((a, b) => a.finishOrder - b.finishOrder);
  const winner = starters[0];
  const places = starters.length >= 16 ? 4 : starters.length >= 8 ? 3 : starters.length >= 5 ? 2 : 1;
  const placeDividends = starters
    .slice(0, places)
    .map((r) => tote(race, 1 + decimalOdds(r.spIndex) / 4 + rng.next()));
  const nonRunners = race.runners.filter((r) => r.nonRunner);
  const furlongs = roundedFurlongs(race.yards);
  const m = Math.floor(race.winnerTimeSec / 60);
  const s = (race.winnerTimeSec - m * 60).toFixed(2);
  const diff = race.standardDiffSec;
  return {
    race_id: race.raceId,
    date: race.date,
    region: race.region,
    course: race.region === 'IRE' ? `${race.course.name} (IRE)` : race.course.name,
    course_id: race.course.id,
    off: twelveHour(race.offMinutes),
    off_dt: offDt(race.date, race.offMinutes),
    race_name: race.raceName,
    type: race.type,
    class: race.raceClass,
    pattern: race.pattern,
    rating_band: race.ratingBand,
    age_band: race.ageBand,
    sex_rest: race.sexRestriction,
    dist: furlongsText(furlongs),
    dist_y: String(race.yards),
    dist_m: String(Math.round(race.yards * 0.9144)),
    dist_f: `${furlongs}f`,
    going: race.going,
    surface: race.surface,
    jumps: race.jumps,
    runners: starters.map((r) => resultRunner(race, r)),
    winning_time_detail: `${m ? `${m}m ` : ''}${s}s (${diff === 0 ? 'standard time' : `${diff > 0 ? 'slow' : 'fast'} by ${Math.abs(diff).toFixed(2)}s`})`,
    comments: '',
    non_runners: nonRunners.map((r) => `${suffixed(r.horse)} (self certificate, coughing)`).join(', '),
    tote_win: winner ? tote(race, decimalOdds(winner.spIndex) * (0.8 + rng.next() * 0.4)) : '',
    tote_pl: placeDividends.join(' '),
    tote_ex: tote(race, 10 + rng.next() * 200),
    tote_csf: tote(race, 8 + rng.next() * 150),
    tote_tricast: race.handicap && starters.length >= 8 ? tote(race, 50 + rng.next() * 900) : '',
    tote_trifecta: starters.length >= 3 ? tote(race, 40 + rng.next() * 1500) : '',
  };
}

function ancestorFields(
  seed: string,
  digits: number | null,
): { name: string; region: string; digits: number } | null {
  if (digits === null) return null;
  const horse = horseByDigits(seed, digits);
  return horse ? { name: horse.name, region: horse.region, digits } : null;
}

/** 'YYYY-MM-DD HH:MM:SS', `minutesBefore` minutes before the off (local time, as the API prints `updated`). */
function beforeOff(race: NeutralRace, minutesBefore: number, second: number): string {
  const at = Math.max(0, race.offMinutes - minutesBefore);
  const hh = String(Math.floor(at / 60)).padStart(2, '0');
  const mm = String(at % 60).padStart(2, '0');
  return `${race.date} ${hh}:${mm}:${String(second).padStart(2, '0')}`;
}

/** The bookmakers pricing a race: 15-25 in Britain, 8-20 in Ireland, the most common first. */
function raceBookmakers(race: NeutralRace): readonly string[] {
  const rng = rngFor(race.seed, 'bookmakers', race.raceId);
  const count = race.region === 'GB' ? rng.int(15, BOOKMAKERS.length) : rng.int(8, 20);
  return BOOKMAKERS.slice(0, count);
}

/** Each-way terms as [places, fraction denominator]: win only below 5 runners. */
function eachWay(race: NeutralRace): [string, string] {
  const field = race.runners.length;
  if (field < 5) return ['', ''];
  if (field < 8) return ['2', '4'];
  if (field >= 16 && race.handicap) return ['4', '4'];
  return ['3', '5'];
}

/**
 * A runner's odds, one entry per bookmaker; about a third of them moved during the day and carry their earlier
 * prices in `history` (oldest first, shaped like the spec's RaceRunnerOddsHistory: changed_at, fractional, decimal).
 */
function runnerOdds(race: NeutralRace, runner: NeutralRunner, rng: Rng): Json[] {
  if (runner.nonRunner) return [];
  const [ewPlaces, ewDenom] = eachWay(race);
  const last = PRICE_LADDER.length - 1;
  return raceBookmakers(race).map((bookmaker) => {
    const index = Math.max(0, Math.min(last, runner.spIndex + rng.int(-1, 2)));
    const minutes = rng.int(2, 90);
    const history: Json[] = [];
    if (rng.chance(0.35)) {
      // Walk back from the current price: each earlier move is further from the off.
      let earlier = index;
      let at = minutes;
      for (let moves = rng.int(1, 3); moves > 0; moves--) {
        earlier = Math.max(0, Math.min(last, earlier + rng.pick([-2, -1, 1, 2])));
        at += rng.int(20, 120);
        history.unshift({
          changed_at: beforeOff(race, at, rng.int(0, 59)),
          fractional: fractional(earlier),
          decimal: shortDecimal(decimalOdds(earlier)),
        });
      }
    }
    return {
      bookmaker,
      fractional: fractional(index),
      decimal: shortDecimal(decimalOdds(index)),
      ew_places: ewPlaces,
      ew_denom: ewDenom,
      updated: beforeOff(race, minutes, rng.int(0, 59)),
      history,
    };
  });
}

/** Previous trainer/owner once the horse has moved (change_date is the first day with the current one). */
function previous(
  change: Change | null,
  date: string,
  person: (index: number) => Person,
  key: string,
): Json[] {
  if (!change || date < change.date) return [];
  const who = person(change.previousIndex);
  return [{ [key]: who.name, [`${key}_id`]: who.id, change_date: change.date }];
}

function cardRunner(race: NeutralRace, runner: NeutralRunner): Json {
  const seed = seedOf(race);
  const horse = runner.horse;
  const rng = rngFor(seed, 'card-runner', race.raceId, horse.digits);
  const sire = ancestorFields(seed, horse.sireDigits);
  const dam = ancestorFields(seed, horse.damDigits);
  const damsire = ancestorFields(seed, horse.damsireDigits);
  const runs = rng.int(0, 25);
  const wins = Math.min(runs, rng.int(0, 6));
  const quoted = rng.chance(0.05);
  const toured = rng.chance(0.03);
  const operated = horse.windSurgery !== null && horse.windSurgery < race.date;
  return {
    horse_id: horse.id,
    horse: horse.name,
    dob: horse.dob,
    age: String(runner.age),
    sex: horse.sex,
    sex_code: horse.sexCode,
    colour: horse.colour,
    region: horse.region,
    breeder: horse.breeder,
    dam: dam?.name ?? '',
    dam_id: dam ? `dam_${dam.digits}` : '',
    dam_region: dam?.region ?? '',
    sire: sire?.name ?? '',
    sire_id: sire ? `sir_${sire.digits}` : '',
    sire_region: sire?.region ?? '',
    damsire: damsire?.name ?? '',
    damsire_id: damsire ? `dsi_${damsire.digits}` : '',
    damsire_region: damsire?.region ?? '',
    trainer: runner.trainer.name,
    trainer_id: runner.trainer.id,
    trainer_location: runner.trainer.location,
    trainer_14_days: {
      runs: String(runs),
      wins: String(wins),
      percent: String(runs ? Math.round((wins * 100) / runs) : 0),
    },
    owner: runner.owner.name,
    owner_id: runner.owner.id,
    prev_trainers: previous(horse.trainerChange, race.date, (i) => trainer(seed, i), 'trainer'),
    prev_owners: previous(horse.ownerChange, race.date, (i) => owner(seed, i), 'owner'),
    comment: runner.form
      ? 'Has shown ability in similar company.'
      : 'Makes debut; bred to do better in time.',
    spotlight: runner.form
      ? 'Ran respectably last time and is entitled to go close again.'
      : 'Newcomer from a yard in form.',
    quotes: quoted
      ? [
          {
            date: race.date,
            horse: horse.name,
            horse_id: horse.id,
            race: race.raceName,
            race_id: race.raceId,
            course: race.course.name,
            course_id: race.course.id,
            distance_f: String(roundedFurlongs(race.yards)),
            distance_y: String(race.yards),
            quote: '"He has been working nicely at home."',
          },
        ]
      : [],
    stable_tour: toured ? [{ quote: rng.pick(STABLE_TOUR_QUOTES) }] : [],
    medical: operated ? [{ date: horse.windSurgery, type: 'Wind Surgery' }] : [],
    number: String(runner.number),
    draw: runner.draw === null ? '' : String(runner.draw),
    headgear: runner.headgear,
    headgear_run: runner.headgear && rng.chance(0.3) ? '1' : '',
    wind_surgery: operated ? '1' : '',
    wind_surgery_run: '',
    past_results_flags: [],
    lbs: String(runner.lbs),
    ofr: rating(runner.ofr, CARD_MISSING),
    rpr: rating(runner.rpr, CARD_MISSING),
    ts: rating(runner.ts, CARD_MISSING),
    jockey: runner.jockey.name,
    jockey_id: runner.jockey.id,
    silk_url: silkUrl(runner),
    last_run: runner.lastRunDays === null ? '' : String(runner.lastRunDays),
    form: runner.form,
    trainer_rtf: String(rng.int(0, 60)),
    odds: runnerOdds(race, runner, rng),
  };
}

export function racecardRace(race: NeutralRace): Json {
  const furlongs = roundedFurlongs(race.yards);
  const declared = [...race.runners].sort((a, b) => a.number - b.number);
  const byPrice = declared.filter((r) => !r.nonRunner).sort((a, b) => a.spIndex - b.spIndex);
  return {
    race_id: race.raceId,
    course: race.course.name,
    course_id: race.course.id,
    date: race.date,
    off_time: twelveHour(race.offMinutes),
    off_dt: offDt(race.date, race.offMinutes),
    race_name: race.raceName,
    distance_round: furlongsText(furlongs),
    distance: distanceText(race.yards),
    distance_f: furlongs.toFixed(1),
    region: race.region,
    pattern: race.pattern,
    sex_restriction: race.sexRestriction,
    race_class: race.raceClass,
    type: race.type,
    age_band: race.ageBand,
    rating_band: race.ratingBand,
    prize: money(race.prize, race.currency),
    field_size: String(declared.length),
    going_detailed: race.goingDetailed,
    rail_movements: '',
    stalls: race.stalls,
    weather: '',
    going: race.going,
    surface: race.surface,
    jumps: race.jumps,
    runners: declared.map((r) => cardRunner(race, r)),
    big_race: race.bigRace,
    is_abandoned: race.isAbandoned,
    tip: byPrice[0]?.horse.name ?? '',
    verdict: byPrice[0] ? `${byPrice[0].horse.name} looks the one to beat.` : '',
    betting_forecast: byPrice
      .slice(0, 4)
      .map((r) => `${fractional(r.spIndex)} ${r.horse.name}`)
      .join(', '),
  };
}

interface DayEntry {
  races: readonly NeutralRace[];
  /** Each race serialised once, so pages are string concatenations (rendered lazily per shape). */
  results?: { json: string; region: string; courseId: string }[];
  racecards?: { json: string; region: string; courseId: string }[];
}

const dayCache = new Map<string, DayEntry>();
const DAY_CACHE_SIZE = 32;

function dayEntry(date: string, seed: string, scale: number): DayEntry {
  const key = `${seed}|${scale}|${date}`;
  let entry = dayCache.get(key);
  if (entry) dayCache.delete(key);
  else entry = { races: racesForDate(date, undefined, seed, scale) };
  dayCache.set(key, entry);
  if (dayCache.size > DAY_CACHE_SIZE) dayCache.delete(dayCache.keys().next().value as string);
  return entry;
}

function serialisedResults(entry: DayEntry): NonNullable<DayEntry['results']> {
  entry.results ??= entry.races
    .filter((r) => !r.isAbandoned)
    .map((r) => ({
      json: JSON.stringify(resultRace(r)),
      region: r.region.toLowerCase(),
      courseId: r.course.id,
    }));
  return entry.results;
}

function serialisedRacecards(entry: DayEntry): NonNullable<DayEntry['racecards']> {
  entry.racecards ??= entry.races.map((r) => ({
    json: JSON.stringify(racecardRace(r)),
    region: r.region.toLowerCase(),
    courseId: r.course.id,
  }));
  return entry.racecards;
}

export interface PageQuery {
  regions?: readonly string[];
  courses?: readonly string[];
  limit: number;
  skip: number;
  /** Echoed as the envelope's `query`: the request's parameters as [key, value] pairs. */
  query: [string, string][];
}

function wanted(query: PageQuery, region: string, courseId: string): boolean {
  // The API ignores the region filter when a course is given.
  if (query.courses && query.courses.length > 0) return query.courses.includes(courseId);
  if (query.regions && query.regions.length > 0) return query.regions.some((r) => r.toLowerCase() === region);
  return true;
}

function envelope(key: string, items: string[], query: PageQuery): string {
  const page = items.slice(query.skip, query.skip + query.limit);
  return (
    `{"${key}":[${page.join(',')}],"total":${items.length},"limit":${query.limit},"skip":${query.skip},` +
    `"query":${JSON.stringify(query.query)}}`
  );
}

/** `/v1/racecards/pro` page for one date, as the JSON text the server sends. */
export function racecardsPageJson(date: string, query: PageQuery, seed = 'default', scale = 1): string {
  const all = serialisedRacecards(dayEntry(date, seed, scale)).filter((r) =>
    wanted(query, r.region, r.courseId),
  );
  return envelope(
    'racecards',
    all.map((r) => r.json),
    query,
  );
}

/**
 * `/v1/results` page over the given dates (the server passes only dates before `today`: no results for today or later
 * in the simulator). Abandoned races have no result. Returns the JSON text the server sends.
 */
export function resultsPageJson(
  dates: readonly string[],
  query: PageQuery,
  seed = 'default',
  scale = 1,
): string {
  const all: string[] = [];
  for (const date of dates) {
    for (const r of serialisedResults(dayEntry(date, seed, scale))) {
      if (wanted(query, r.region, r.courseId)) all.push(r.json);
    }
  }
  return envelope('results', all, query);
}

export function racecardsPage(date: string, query: PageQuery, seed = 'default', scale = 1): Json {
  return JSON.parse(racecardsPageJson(date, query, seed, scale)) as Json;
}

export function resultsPage(dates: readonly string[], query: PageQuery, seed = 'default', scale = 1): Json {
  return JSON.parse(resultsPageJson(dates, query, seed, scale)) as Json;
}

/** Deterministic ~3% of horse ids answer 404 on /pro (as real horses sometimes do). */
export function horseProMissing(id: string): boolean {
  return hash32(`pro404|${id}`) % 100 < 3;
}

/** `/v1/horses/{id}/pro` body, or null for 404 (unknown id, non-hrs prefix, or the ~3% without a profile). */
export function horsePro(id: string, seed = 'default'): Json | null {
  if (!id.startsWith('hrs_') || horseProMissing(id)) return null;
  const digits = idDigits(id);
  const horse: Horse | null = digits === null ? null : horseByDigits(seed, digits);
  if (!horse) return null;
  const named = (d: number | null) => (d === null ? null : horseByDigits(seed, d));
  const sire = named(horse.sireDigits);
  const dam = named(horse.damDigits);
  const damsire = named(horse.damsireDigits);
  return {
    id: horse.id,
    name: suffixed(horse),
    dob: horse.dob,
    sex: horse.sex,
    sex_code: horse.sexCode,
    colour: horse.colour,
    colour_code: horse.colour.toUpperCase(),
    breeder: horse.breeder,
    sire: sire ? suffixed(sire) : '',
    sire_id: sire ? `sir_${sire.digits}` : '',
    dam: dam ? suffixed(dam) : '',
    dam_id: dam ? `dam_${dam.digits}` : '',
    damsire: damsire ? suffixed(damsire) : '',
    damsire_id: damsire ? `dsi_${damsire.digits}` : '',
  };
}

/** `/v1/courses` body, optionally filtered by lower-case region codes. */
/** /v1/courses/regions: a bare array, as the API gives it. */
export function regionsList(): Json[] {
  return Object.entries(REGION_NAMES).map(([code, region]) => ({ region, region_code: code.toLowerCase() }));
}

export function coursesPage(regions?: readonly string[]): Json {
  const wantedRegions = regions?.length ? new Set(regions.map((r) => r.toUpperCase())) : null;
  const courses = COURSES.filter((c: CourseInfo) => !wantedRegions || wantedRegions.has(c.region)).map(
    (c) => ({
      id: c.id,
      course: c.name,
      region_code: c.region.toLowerCase(),
      region: REGION_NAMES[c.region],
    }),
  );
  return { courses, total: courses.length };
}
