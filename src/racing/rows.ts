// API pages -> table rows. Each source produces only the columns it really has; a column it lacks is
// left out of the row (undefined), so the loader never writes it and never blanks what the other source wrote.
// Values the source has but are empty ('-', '') become null, which the loader's coalesce also keeps from
// overwriting a known value.

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
  REGION_NAMES,
  regionCode,
  sexCode,
  sexWord,
  splitRegionSuffix,
  stonesPoundsToLbs,
  text,
  timeSeconds,
  toteAmounts,
  ukLocalTimestamp,
  weightStLbs,
} from './parse.ts';

// Structural input types: every field optional and nullable, so the client's zod-inferred page types
// (stricter) are assignable without this module depending on them.
type S = string | null | undefined;

export interface ResultRunnerIn {
  horse_id?: S;
  horse?: S;
  sp?: S;
  sp_dec?: S;
  number?: S;
  position?: S;
  draw?: S;
  btn?: S;
  ovr_btn?: S;
  age?: S;
  sex?: S;
  weight?: S;
  weight_lbs?: S;
  headgear?: S;
  time?: S;
  or?: S;
  rpr?: S;
  tsr?: S;
  prize?: S;
  jockey?: S;
  jockey_claim_lbs?: S;
  jockey_id?: S;
  trainer?: S;
  trainer_id?: S;
  owner?: S;
  owner_id?: S;
  sire?: S;
  sire_id?: S;
  dam?: S;
  dam_id?: S;
  damsire?: S;
  damsire_id?: S;
  comment?: S;
  silk_url?: S;
  bsp?: S;
}

export interface ResultRaceIn {
  race_id?: S;
  date?: S;
  region?: S;
  course?: S;
  course_id?: S;
  off_dt?: S;
  race_name?: S;
  type?: S;
  class?: S;
  pattern?: S;
  rating_band?: S;
  age_band?: S;
  sex_rest?: S;
  dist?: S;
  dist_y?: S;
  dist_m?: S;
  dist_f?: S;
  going?: S;
  surface?: S;
  jumps?: S;
  runners?: readonly ResultRunnerIn[] | null;
  winning_time_detail?: S;
  comments?: S;
  non_runners?: S;
  tote_win?: S;
  tote_pl?: S;
  tote_ex?: S;
  tote_csf?: S;
  tote_tricast?: S;
  tote_trifecta?: S;
}

export interface OddsHistoryIn {
  changed_at?: S;
  fractional?: S;
  decimal?: S;
}

export interface OddsIn {
  bookmaker?: S;
  fractional?: S;
  decimal?: S;
  ew_places?: S;
  ew_denom?: S;
  updated?: S;
  history?: readonly unknown[] | null;
}

export interface PreviousIn {
  trainer?: S;
  trainer_id?: S;
  owner?: S;
  owner_id?: S;
  change_date?: S;
}

export interface MedicalIn {
  date?: S;
  type?: S;
}

export interface RacecardRunnerIn {
  horse_id?: S;
  horse?: S;
  dob?: S;
  age?: S;
  sex?: S;
  sex_code?: S;
  colour?: S;
  region?: S;
  breeder?: S;
  dam?: S;
  dam_id?: S;
  sire?: S;
  sire_id?: S;
  damsire?: S;
  damsire_id?: S;
  trainer?: S;
  trainer_id?: S;
  trainer_location?: S;
  owner?: S;
  owner_id?: S;
  comment?: S;
  spotlight?: S;
  number?: S;
  draw?: S;
  headgear?: S;
  headgear_run?: S;
  wind_surgery?: S;
  wind_surgery_run?: S;
  past_results_flags?: readonly string[] | null;
  lbs?: S;
  ofr?: S;
  rpr?: S;
  ts?: S;
  jockey?: S;
  jockey_id?: S;
  silk_url?: S;
  last_run?: S;
  form?: S;
  trainer_rtf?: S;
  odds?: readonly OddsIn[] | null;
  // Nested extras the client does not validate (schemas.ts knowinglyRawOnly): read defensively.
  trainer_14_days?: unknown;
  prev_trainers?: unknown;
  prev_owners?: unknown;
  medical?: unknown;
}

export interface RacecardRaceIn {
  race_id?: S;
  course?: S;
  course_id?: S;
  date?: S;
  off_dt?: S;
  race_name?: S;
  distance?: S;
  distance_f?: S;
  region?: S;
  pattern?: S;
  sex_restriction?: S;
  race_class?: S;
  type?: S;
  age_band?: S;
  rating_band?: S;
  prize?: S;
  field_size?: S;
  going_detailed?: S;
  rail_movements?: S;
  stalls?: S;
  weather?: S;
  going?: S;
  surface?: S;
  jumps?: S;
  runners?: readonly RacecardRunnerIn[] | null;
  big_race?: boolean | null;
  is_abandoned?: boolean | null;
  tip?: S;
  verdict?: S;
  betting_forecast?: S;
}

export type Row = Record<string, unknown>;

/** Rows for one source and one date, per table. Entities come first when loaded. */
export interface DayRows {
  courses: Row[];
  jockeys: Row[];
  trainers: Row[];
  owners: Row[];
  horses: Row[];
  pedigrees: Row[];
  races: Row[];
  runners: Row[];
  bookmakers: Row[];
  odds: Row[];
  oddsHistory: Row[];
  prevTrainers: Row[];
  prevOwners: Row[];
  medical: Row[];
}

export function emptyDayRows(): DayRows {
  return {
    courses: [],
    jockeys: [],
    trainers: [],
    owners: [],
    horses: [],
    pedigrees: [],
    races: [],
    runners: [],
    bookmakers: [],
    odds: [],
    oddsHistory: [],
    prevTrainers: [],
    prevOwners: [],
    medical: [],
  };
}

function courseRow(courseId: S, course: S, region: S): Row | null {
  const cid = id(courseId);
  if (!cid) return null;
  const code = regionCode(region);
  return {
    id: cid,
    name: splitRegionSuffix(course).name,
    region_code: code?.toLowerCase() ?? null,
    region: code ? (REGION_NAMES[code] ?? null) : null,
  };
}

function entityRow(entityId: S, name: S, extra: Row = {}): Row | null {
  const eid = id(entityId);
  return eid ? { id: eid, name: text(name), ...extra } : null;
}

function pushIf(list: Row[], row: Row | null): void {
  if (row) list.push(row);
}

function pedigreeNames(r: { sire?: S; dam?: S; damsire?: S }) {
  return {
    sire: splitRegionSuffix(r.sire).name,
    dam: splitRegionSuffix(r.dam).name,
    damsire: splitRegionSuffix(r.damsire).name,
  };
}

/** Ancestor ids as a runner carries them (horse, pedigree and runner rows all store them). */
function ancestorIds(r: { sire_id?: S; dam_id?: S; damsire_id?: S }) {
  return { sire_id: id(r.sire_id), dam_id: id(r.dam_id), damsire_id: id(r.damsire_id) };
}

/** The runner columns both sources fill from same-named fields; each source adds its own. */
function sharedRunnerFields(
  raceId: string,
  horseId: string,
  horseName: string | null,
  sexCodeValue: string | null,
  r: ResultRunnerIn | RacecardRunnerIn,
): Row {
  return {
    race_id: raceId,
    horse_id: horseId,
    jockey_id: id(r.jockey_id),
    trainer_id: id(r.trainer_id),
    owner_id: id(r.owner_id),
    horse_name: horseName,
    number: integer(r.number),
    draw: integer(r.draw),
    age: integer(r.age),
    sex_code: sexCodeValue,
    headgear: text(r.headgear),
    rpr: integer(r.rpr),
    ...ancestorIds(r),
    silk_url: text(r.silk_url),
  };
}

/** The race columns results and racecards fill from fields of the same names. */
function sharedRaceColumns(raceId: string, date: string, race: ResultRaceIn | RacecardRaceIn): Row {
  return {
    id: raceId,
    course_id: id(race.course_id),
    course: splitRegionSuffix(race.course).name,
    date,
    off_dt: offDateTime(race.off_dt),
    race_name: text(race.race_name),
    region: regionCode(race.region),
    type: text(race.type),
    pattern: text(race.pattern),
    age_band: text(race.age_band),
    rating_band: text(race.rating_band),
  };
}

export function resultRows(races: readonly ResultRaceIn[]): DayRows {
  const out = emptyDayRows();
  for (const race of races) {
    const raceId = id(race.race_id);
    const date = isoDate(race.date);
    if (!raceId || !date) continue;
    const region = regionCode(race.region);
    pushIf(out.courses, courseRow(race.course_id, race.course, race.region));
    out.races.push({
      ...sharedRaceColumns(raceId, date, race),
      race_class: text(race.class),
      sex_restriction: text(race.sex_rest),
      distance_text: text(race.dist),
      distance_furlongs: furlongs(race.dist_f),
      distance_yards: integer(race.dist_y),
      distance_metres: integer(race.dist_m),
      going: text(race.going),
      surface: text(race.surface),
      jumps: text(race.jumps),
      winning_time_detail: text(race.winning_time_detail),
      comments: text(race.comments),
      non_runners: text(race.non_runners),
      tote_win: text(race.tote_win),
      tote_pl: text(race.tote_pl),
      tote_ex: text(race.tote_ex),
      tote_csf: text(race.tote_csf),
      tote_tricast: text(race.tote_tricast),
      tote_trifecta: text(race.tote_trifecta),
      ...toteColumns(race),
    });
    // Result runner prizes for GB races carry no symbol ('4187.20'); Irish ones do ('€5900').
    const defaultCurrency = region === 'GB' ? 'GBP' : null;
    for (const r of race.runners ?? []) {
      const horseId = id(r.horse_id);
      if (!horseId) continue;
      const horse = splitRegionSuffix(r.horse);
      const code = sexCode(null, r.sex);
      pushIf(out.jockeys, entityRow(r.jockey_id, r.jockey));
      pushIf(out.trainers, entityRow(r.trainer_id, r.trainer));
      pushIf(out.owners, entityRow(r.owner_id, r.owner));
      out.horses.push({
        id: horseId,
        name: horse.name,
        sex_code: code,
        region: horse.region,
        ...ancestorIds(r),
      });
      out.pedigrees.push({ horse_id: horseId, ...ancestorIds(r), ...pedigreeNames(r), region: horse.region });
      const pos = position(r.position);
      const prize = money(r.prize, defaultCurrency);
      out.runners.push({
        ...sharedRunnerFields(raceId, horseId, horse.name, code, r),
        weight_lbs: integer(r.weight_lbs) ?? stonesPoundsToLbs(r.weight),
        weight_st_lbs: weightStLbs(r.weight),
        ofr: integer(r.or),
        ts: integer(r.tsr),
        jockey_claim_lbs: integer(r.jockey_claim_lbs),
        position: pos.position,
        position_num: pos.positionNum,
        sp: text(r.sp),
        sp_dec: decimal(r.sp_dec),
        btn: decimal(r.btn),
        ovr_btn: decimal(r.ovr_btn),
        time_seconds: timeSeconds(r.time),
        prize_amount: prize.amount,
        prize_currency: prize.currency,
        result_comment: text(r.comment),
        bsp: decimal(r.bsp),
      });
    }
  }
  return out;
}

export function racecardRows(races: readonly RacecardRaceIn[]): DayRows {
  const out = emptyDayRows();
  for (const race of races) {
    const raceId = id(race.race_id);
    const date = isoDate(race.date);
    if (!raceId || !date) continue;
    pushIf(out.courses, courseRow(race.course_id, race.course, race.region));
    const prize = money(race.prize);
    out.races.push({
      ...sharedRaceColumns(raceId, date, race),
      race_class: text(race.race_class),
      sex_restriction: text(race.sex_restriction),
      distance_text: text(race.distance),
      distance_furlongs: furlongs(race.distance_f),
      distance_yards: distanceToYards(race.distance),
      going: text(race.going),
      going_detailed: text(race.going_detailed),
      surface: text(race.surface),
      jumps: text(race.jumps),
      rail_movements: text(race.rail_movements),
      stalls: text(race.stalls),
      weather: text(race.weather),
      prize_amount: prize.amount,
      prize_currency: prize.currency,
      field_size: integer(race.field_size),
      is_abandoned: race.is_abandoned ?? null,
      is_big_race: race.big_race ?? null,
      tip: text(race.tip),
      verdict: text(race.verdict),
      betting_forecast: text(race.betting_forecast),
    });
    for (const r of race.runners ?? []) {
      const horseId = id(r.horse_id);
      if (!horseId) continue;
      const horse = splitRegionSuffix(r.horse);
      const region = regionCode(r.region) ?? horse.region;
      const code = sexCode(r.sex_code, r.sex);
      pushIf(out.jockeys, entityRow(r.jockey_id, r.jockey));
      pushIf(out.trainers, entityRow(r.trainer_id, r.trainer, { location: text(r.trainer_location) }));
      pushIf(out.owners, entityRow(r.owner_id, r.owner));
      out.horses.push({
        id: horseId,
        name: horse.name,
        sex: sexWord(r.sex),
        sex_code: code,
        dob: isoDate(r.dob),
        colour: text(r.colour),
        colour_code: colourCode(r.colour),
        region,
        breeder: text(r.breeder),
        ...ancestorIds(r),
        // The card carried the profile /horses/{id}/pro would give: no enrichment call for this horse.
        enrichment_status: isoDate(r.dob) || text(r.colour) ? 'racecard' : undefined,
      });
      out.pedigrees.push({
        horse_id: horseId,
        ...ancestorIds(r),
        ...pedigreeNames(r),
        breeder: text(r.breeder),
        region,
      });
      pushOdds(out, raceId, horseId, r.odds);
      pushHorseExtras(out, horseId, r);
      const form14 = objectOf(r.trainer_14_days);
      out.runners.push({
        ...sharedRunnerFields(raceId, horseId, horse.name, code, r),
        weight_lbs: integer(r.lbs),
        headgear_run: text(r.headgear_run),
        wind_surgery: text(r.wind_surgery),
        wind_surgery_run: text(r.wind_surgery_run),
        ofr: integer(r.ofr),
        ts: integer(r.ts),
        form: text(r.form),
        last_run_days: integer(r.last_run),
        trainer_rtf: integer(r.trainer_rtf),
        comment: text(r.comment),
        spotlight: text(r.spotlight),
        past_results_flags: Array.isArray(r.past_results_flags) ? r.past_results_flags : null,
        trainer_14_days_runs: integer(scalar(form14.runs)),
        trainer_14_days_wins: integer(scalar(form14.wins)),
        trainer_14_days_percent: decimal(scalar(form14.percent)),
      });
    }
  }
  return out;
}

const TOTE_FIELDS = ['win', 'ex', 'csf', 'tricast', 'trifecta'] as const;

/** tote_* texts as amounts in one currency (the race's first priced dividend names it). */
function toteColumns(race: ResultRaceIn): Row {
  const cols: Row = {};
  let currency: string | null = null;
  for (const f of TOTE_FIELDS) {
    const t = toteAmounts(race[`tote_${f}`]);
    cols[`tote_${f}_amount`] = t.amounts?.[0] ?? null;
    currency ??= t.currency;
  }
  const pl = toteAmounts(race.tote_pl);
  cols.tote_pl_amounts = pl.amounts;
  cols.tote_currency = currency ?? pl.currency;
  return cols;
}

function objectOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function listOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(objectOf) : [];
}

/** A scalar field of an unvalidated object, as the parse helpers take it. */
function scalar(value: unknown): string | number | null {
  return typeof value === 'string' || typeof value === 'number' ? value : null;
}

/** One odds row per bookmaker (the first wins if a card lists one twice) plus its price history. */
function pushOdds(out: DayRows, raceId: string, horseId: string, odds: unknown): void {
  for (const o of listOf(odds)) {
    const bookmaker = text(scalar(o.bookmaker));
    if (!bookmaker) continue;
    out.bookmakers.push({ name: bookmaker });
    out.odds.push({
      race_id: raceId,
      horse_id: horseId,
      bookmaker,
      fractional: text(scalar(o.fractional)),
      decimal: decimal(scalar(o.decimal)),
      ew_places: integer(scalar(o.ew_places)),
      ew_denom: integer(scalar(o.ew_denom)),
      updated: ukLocalTimestamp(scalar(o.updated)),
    });
    for (const h of listOf(o.history)) {
      const changedAt = ukLocalTimestamp(scalar(h.changed_at));
      if (!changedAt) continue;
      out.oddsHistory.push({
        race_id: raceId,
        horse_id: horseId,
        bookmaker,
        changed_at: changedAt,
        fractional: text(scalar(h.fractional)),
        decimal: decimal(scalar(h.decimal)),
      });
    }
  }
}

/**
 * A horse's earlier trainers or owners (prev_trainers, prev_owners: {trainer_id, trainer, change_date} or
 * {owner_id, owner, change_date}) as rows of ra_horse_prev_trainers or ra_horse_prev_owners; an entry without
 * an id or a date is left out (both are in the key).
 */
function previousHolders(horseId: string, list: unknown, holder: 'trainer' | 'owner'): Row[] {
  const rows: Row[] = [];
  for (const p of listOf(list)) {
    const holderId = id(scalar(p[`${holder}_id`]));
    const changeDate = isoDate(scalar(p.change_date));
    if (holderId && changeDate)
      rows.push({
        horse_id: horseId,
        [`${holder}_id`]: holderId,
        [holder]: text(scalar(p[holder])),
        change_date: changeDate,
      });
  }
  return rows;
}

/** Previous trainers and owners with their change dates, and the medical history, keyed by horse. */
function pushHorseExtras(out: DayRows, horseId: string, r: RacecardRunnerIn): void {
  out.prevTrainers.push(...previousHolders(horseId, r.prev_trainers, 'trainer'));
  out.prevOwners.push(...previousHolders(horseId, r.prev_owners, 'owner'));
  for (const m of listOf(r.medical)) {
    const date = isoDate(scalar(m.date));
    const type = text(scalar(m.type));
    if (date && type) out.medical.push({ horse_id: horseId, date, type });
  }
}
