import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  date,
  index,
  integer,
  numeric,
  pgTable,
  primaryKey,
  text,
  unique,
} from 'drizzle-orm/pg-core';
import { stamps, timestamptz } from './columns.ts';

// Natural keys are the API's own ids ('rac_…', 'hrs_…', …).

export const raCourses = pgTable('ra_courses', {
  id: text('id').primaryKey(),
  name: text('name'),
  regionCode: text('region_code'),
  region: text('region'),
  ...stamps,
});

// /v1/courses/regions, loaded by the load_courses task (src/racing/courses.ts) with /v1/courses.
export const raCourseRegions = pgTable('ra_course_regions', {
  code: text('code').primaryKey(),
  name: text('name'),
  ...stamps,
});

export const raJockeys = pgTable('ra_jockeys', {
  id: text('id').primaryKey(),
  name: text('name'),
  ...stamps,
});

export const raTrainers = pgTable('ra_trainers', {
  id: text('id').primaryKey(),
  name: text('name'),
  location: text('location'),
  ...stamps,
});

export const raOwners = pgTable('ra_owners', {
  id: text('id').primaryKey(),
  name: text('name'),
  ...stamps,
});

// Bookmakers appear only by name inside racecard odds; the name is the key.
export const raBookmakers = pgTable('ra_bookmakers', {
  name: text('name').primaryKey(),
  ...stamps,
});

export const raHorses = pgTable(
  'ra_horses',
  {
    id: text('id').primaryKey(),
    name: text('name'),
    sex: text('sex'),
    sexCode: text('sex_code'),
    dob: date('dob'),
    colour: text('colour'),
    colourCode: text('colour_code'),
    region: text('region'),
    breeder: text('breeder'),
    sireId: text('sire_id'),
    damId: text('dam_id'),
    damsireId: text('damsire_id'),
    // Where the profile came from: 'racecard' (a pro racecard runner carries all of it, so no call is made),
    // 'enriched' (/v1/horses/{id}/pro answered), 'not_available' (that call gave a 404). NULL = not tried yet.
    enrichmentStatus: text('enrichment_status'),
    enrichedAt: timestamptz('enriched_at'),
    ...stamps,
  },
  (t) => [index('ra_horses_enrichment_pending_idx').on(t.id).where(sql`${t.enrichmentStatus} is null`)],
);

// Ancestor ids share their digits with the ancestor's own horse id (sir_123 -> hrs_123); the database
// derives them so no loader can get the rule wrong.
const ancestorHorseId = (column: string) =>
  sql.raw(`case when ${column} ~ '^[a-z]+_[0-9]+$' then 'hrs_' || substring(${column} from '[0-9]+$') end`);

export const raHorsePedigree = pgTable('ra_horse_pedigree', {
  horseId: text('horse_id')
    .primaryKey()
    .references(() => raHorses.id, { onDelete: 'cascade' }),
  sireId: text('sire_id'),
  sire: text('sire'),
  sireHorseId: text('sire_horse_id').generatedAlwaysAs(ancestorHorseId('sire_id')),
  damId: text('dam_id'),
  dam: text('dam'),
  damHorseId: text('dam_horse_id').generatedAlwaysAs(ancestorHorseId('dam_id')),
  damsireId: text('damsire_id'),
  damsire: text('damsire'),
  damsireHorseId: text('damsire_horse_id').generatedAlwaysAs(ancestorHorseId('damsire_id')),
  breeder: text('breeder'),
  region: text('region'),
  ...stamps,
});

export const raMstRaces = pgTable(
  'ra_mst_races',
  {
    id: text('id').primaryKey(),
    courseId: text('course_id').references(() => raCourses.id),
    course: text('course'),
    date: date('date').notNull(),
    // off_dt carries the UK offset; the API's 12-hour off_time is never stored as a time.
    offDt: timestamptz('off_dt'),
    raceName: text('race_name'),
    region: text('region'),
    type: text('type'),
    raceClass: text('race_class'),
    pattern: text('pattern'),
    ageBand: text('age_band'),
    ratingBand: text('rating_band'),
    sexRestriction: text('sex_restriction'),
    distanceText: text('distance_text'),
    distanceFurlongs: numeric('distance_furlongs', { precision: 6, scale: 2, mode: 'number' }),
    distanceYards: integer('distance_yards'),
    distanceMetres: integer('distance_metres'),
    going: text('going'),
    goingDetailed: text('going_detailed'),
    surface: text('surface'),
    jumps: text('jumps'),
    railMovements: text('rail_movements'),
    stalls: text('stalls'),
    weather: text('weather'),
    prizeAmount: numeric('prize_amount', { precision: 12, scale: 2, mode: 'number' }),
    prizeCurrency: text('prize_currency'),
    fieldSize: integer('field_size'),
    isAbandoned: boolean('is_abandoned'),
    isBigRace: boolean('is_big_race'),
    tip: text('tip'),
    verdict: text('verdict'),
    bettingForecast: text('betting_forecast'),
    // Results-only race fields.
    winningTimeDetail: text('winning_time_detail'),
    comments: text('comments'),
    nonRunners: text('non_runners'),
    toteWin: text('tote_win'),
    totePl: text('tote_pl'),
    toteEx: text('tote_ex'),
    toteCsf: text('tote_csf'),
    toteTricast: text('tote_tricast'),
    toteTrifecta: text('tote_trifecta'),
    // The tote texts as amounts ('£2.80 £1.50 £2.20' -> {2.80,1.50,2.20}) in tote_currency; the text stays above.
    toteWinAmount: numeric('tote_win_amount', { precision: 12, scale: 2, mode: 'number' }),
    totePlAmounts: numeric('tote_pl_amounts', { precision: 12, scale: 2 }).array(),
    toteExAmount: numeric('tote_ex_amount', { precision: 12, scale: 2, mode: 'number' }),
    toteCsfAmount: numeric('tote_csf_amount', { precision: 12, scale: 2, mode: 'number' }),
    toteTricastAmount: numeric('tote_tricast_amount', { precision: 12, scale: 2, mode: 'number' }),
    toteTrifectaAmount: numeric('tote_trifecta_amount', { precision: 12, scale: 2, mode: 'number' }),
    toteCurrency: text('tote_currency'),
    racecardFetchedAt: timestamptz('racecard_fetched_at'),
    resultFetchedAt: timestamptz('result_fetched_at'),
    ...stamps,
  },
  (t) => [index('ra_mst_races_date_idx').on(t.date), index('ra_mst_races_course_idx').on(t.courseId)],
);

export const raMstRunners = pgTable(
  'ra_mst_runners',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    raceId: text('race_id')
      .notNull()
      .references(() => raMstRaces.id, { onDelete: 'cascade' }),
    horseId: text('horse_id')
      .notNull()
      .references(() => raHorses.id),
    // No foreign keys or indexes on the people: the loader writes them from the same page in the same
    // transaction, v_orphaned_runners checks it, and the checks and index inserts were a large part of a
    // date's runner upsert (BENCHMARKS.md). Index them if you query runners by person.
    jockeyId: text('jockey_id'),
    trainerId: text('trainer_id'),
    ownerId: text('owner_id'),
    horseName: text('horse_name'),
    number: integer('number'),
    draw: integer('draw'),
    age: integer('age'),
    sexCode: text('sex_code'),
    weightLbs: integer('weight_lbs'),
    weightStLbs: text('weight_st_lbs'),
    headgear: text('headgear'),
    headgearRun: text('headgear_run'),
    windSurgery: text('wind_surgery'),
    windSurgeryRun: text('wind_surgery_run'),
    ofr: integer('ofr'),
    rpr: integer('rpr'),
    ts: integer('ts'),
    jockeyClaimLbs: integer('jockey_claim_lbs'),
    sireId: text('sire_id'),
    damId: text('dam_id'),
    damsireId: text('damsire_id'),
    silkUrl: text('silk_url'),
    // Racecard-only runner fields (the API serves them from 2023-01-23).
    form: text('form'),
    lastRunDays: integer('last_run_days'),
    trainerRtf: integer('trainer_rtf'),
    comment: text('comment'),
    spotlight: text('spotlight'),
    pastResultsFlags: text('past_results_flags').array(),
    trainer14DaysRuns: integer('trainer_14_days_runs'),
    trainer14DaysWins: integer('trainer_14_days_wins'),
    trainer14DaysPercent: numeric('trainer_14_days_percent', { precision: 6, scale: 2, mode: 'number' }),
    // Results-only runner fields.
    position: text('position'),
    positionNum: integer('position_num'),
    sp: text('sp'),
    spDec: numeric('sp_dec', { precision: 10, scale: 2, mode: 'number' }),
    btn: numeric('btn', { precision: 8, scale: 2, mode: 'number' }),
    ovrBtn: numeric('ovr_btn', { precision: 8, scale: 2, mode: 'number' }),
    timeSeconds: numeric('time_seconds', { precision: 8, scale: 2, mode: 'number' }),
    prizeAmount: numeric('prize_amount', { precision: 12, scale: 2, mode: 'number' }),
    prizeCurrency: text('prize_currency'),
    resultComment: text('result_comment'),
    // Set when a re-fetch of the runner's race no longer lists it (a non-runner taken off the card, a runner
    // dropped from a result); cleared if it comes back. src/racing/amendments.ts.
    removedAt: timestamptz('removed_at'),
    // Betfair starting price (results, API v1.4.3).
    bsp: numeric('bsp', { precision: 10, scale: 2, mode: 'number' }),
    ...stamps,
  },
  (t) => [
    unique('ra_mst_runners_race_horse_key').on(t.raceId, t.horseId),
    index('ra_mst_runners_horse_idx').on(t.horseId),
  ],
);

// Racecard odds: one row per race, horse and bookmaker (the latest price the card showed).
export const raRunnerOdds = pgTable(
  'ra_runner_odds',
  {
    raceId: text('race_id')
      .notNull()
      .references(() => raMstRaces.id, { onDelete: 'cascade' }),
    horseId: text('horse_id').notNull(),
    bookmaker: text('bookmaker').notNull(),
    fractional: text('fractional'),
    decimal: numeric('decimal', { precision: 10, scale: 2, mode: 'number' }),
    ewPlaces: integer('ew_places'),
    ewDenom: integer('ew_denom'),
    updated: timestamptz('updated'),
    ...stamps,
  },
  (t) => [primaryKey({ columns: [t.raceId, t.horseId, t.bookmaker] })],
);

// Earlier prices of a racecard runner per bookmaker, as the API's odds[].history gives them.
export const raRunnerOddsHistory = pgTable(
  'ra_runner_odds_history',
  {
    raceId: text('race_id')
      .notNull()
      .references(() => raMstRaces.id, { onDelete: 'cascade' }),
    horseId: text('horse_id').notNull(),
    bookmaker: text('bookmaker').notNull(),
    changedAt: timestamptz('changed_at').notNull(),
    fractional: text('fractional'),
    decimal: numeric('decimal', { precision: 10, scale: 2, mode: 'number' }),
  },
  (t) => [primaryKey({ columns: [t.raceId, t.horseId, t.bookmaker, t.changedAt] })],
);

// Racecard extras about the horse (not the race): its earlier trainers and owners with the date the
// current one took over, and its medical history. Rows without their key values are not stored.
export const raHorsePrevTrainers = pgTable(
  'ra_horse_prev_trainers',
  {
    horseId: text('horse_id').notNull(),
    trainerId: text('trainer_id').notNull(),
    trainer: text('trainer'),
    changeDate: date('change_date').notNull(),
    ...stamps,
  },
  (t) => [primaryKey({ columns: [t.horseId, t.trainerId, t.changeDate] })],
);

export const raHorsePrevOwners = pgTable(
  'ra_horse_prev_owners',
  {
    horseId: text('horse_id').notNull(),
    ownerId: text('owner_id').notNull(),
    owner: text('owner'),
    changeDate: date('change_date').notNull(),
    ...stamps,
  },
  (t) => [primaryKey({ columns: [t.horseId, t.ownerId, t.changeDate] })],
);

export const raHorseMedical = pgTable(
  'ra_horse_medical',
  {
    horseId: text('horse_id').notNull(),
    date: date('date').notNull(),
    type: text('type').notNull(),
    ...stamps,
  },
  (t) => [primaryKey({ columns: [t.horseId, t.date, t.type] })],
);
