// zod schemas of the four Racing API responses the kit reads, after the official OpenAPI specs
// (the 2025-10 JSON and v1.4.3, kept in test/fixtures/openapi/; test/racing-api/openapi.test.ts checks these
// schemas against them).
//
// Rules: every scalar the API sends is a string (numbers too), except the page envelope's integers and the
// real booleans big_race/is_abandoned. A field is required when the 2025 spec requires it (v1.4.3 never makes
// those nullable); every other field is optional AND nullable, because v1.4.3 declares most of them
// `string | null` and older races simply lack them. Objects are loose: unknown fields are accepted and kept,
// so a new API field never fails a backfill (the raw archive holds the body exactly as received anyway).
import { z } from 'zod';

type Required<K extends string> = Record<K, z.ZodString>;
type Optional<K extends string> = Record<K, z.ZodOptional<z.ZodNullable<z.ZodString>>>;

function requiredStrings<const K extends string>(keys: readonly K[]): Required<K> {
  return Object.fromEntries(keys.map((key) => [key, z.string()])) as Required<K>;
}

function optionalStrings<const K extends string>(keys: readonly K[]): Optional<K> {
  return Object.fromEntries(keys.map((key) => [key, z.string().nullish()])) as Optional<K>;
}

/** A horse's sire, dam and dam's sire with their ids: in every runner and horse object. */
const PEDIGREE = ['sire', 'sire_id', 'dam', 'dam_id', 'damsire', 'damsire_id'] as const;

const pageEnvelope = {
  total: z.number().int().nonnegative(),
  limit: z.number().int().nonnegative(),
  skip: z.number().int().nonnegative(),
  /** The query echoed as [key, value] pairs. */
  query: z.array(z.array(z.unknown())),
};

// ---------- /v1/results (ResultsPage > Result > ResultRunner; v1.4.3: ResultsStandardPage > ResultStandard > RunnerStandard)

export const resultRunnerSchema = z.looseObject({
  ...requiredStrings([
    'horse_id',
    'horse',
    'sp',
    'sp_dec',
    'number',
    'position',
    'draw',
    'btn',
    'ovr_btn',
    'age',
    'sex',
    'weight',
    'weight_lbs',
    'headgear',
    'time',
    'or',
    'rpr',
    'tsr',
    'prize',
    'jockey',
    'jockey_id',
    'trainer',
    'trainer_id',
    'owner',
    'owner_id',
    ...PEDIGREE,
    'comment',
  ]),
  ...optionalStrings(['jockey_claim_lbs', 'silk_url', /* v1.4.3 */ 'bsp']),
});

export const resultRaceSchema = z.looseObject({
  ...requiredStrings([
    'race_id',
    'date',
    'region',
    'course',
    'course_id',
    'off',
    'race_name',
    'type',
    'class',
    'pattern',
    'rating_band',
    'age_band',
    'sex_rest',
    'dist',
    'dist_y',
    'dist_m',
    'dist_f',
    'going',
  ]),
  ...optionalStrings([
    'off_dt',
    'surface',
    'jumps',
    'winning_time_detail',
    'comments',
    'non_runners',
    'tote_win',
    'tote_pl',
    'tote_ex',
    'tote_csf',
    'tote_tricast',
    'tote_trifecta',
  ]),
  runners: z.array(resultRunnerSchema),
});

export const resultsPageSchema = z.looseObject({
  // v1.4.3 declares `results: ResultStandard[] | null` (required): null, probably an empty day, becomes [].
  results: z
    .array(resultRaceSchema)
    .nullable()
    .transform((races) => races ?? []),
  ...pageEnvelope,
});

// ---------- /v1/racecards/pro (RacecardsOddsProPage > RacecardOddsPro > RunnerOddsPro)

/** One bookmaker's price for a runner (OddsHistory). */
export const racecardOddsSchema = z.looseObject({
  ...requiredStrings(['bookmaker', 'fractional', 'decimal', 'ew_places', 'ew_denom', 'updated']),
  history: z.array(z.unknown()).nullish(),
});

export const racecardRunnerSchema = z.looseObject({
  ...requiredStrings([
    'horse_id',
    'horse',
    ...PEDIGREE,
    'trainer',
    'trainer_id',
    'owner',
    'owner_id',
    'number',
    'draw',
    'lbs',
    'ofr',
    'rpr',
    'ts',
    'jockey',
    'jockey_id',
    'last_run',
  ]),
  ...optionalStrings([
    'dob',
    'age',
    'sex',
    'sex_code',
    'colour',
    'region',
    'breeder',
    'dam_region',
    'sire_region',
    'damsire_region',
    'trainer_location',
    'comment',
    'spotlight',
    'headgear',
    'headgear_run',
    'wind_surgery',
    'wind_surgery_run',
    'silk_url',
    'form',
    'trainer_rtf',
  ]),
  past_results_flags: z.array(z.string()).nullish(),
  odds: z.array(racecardOddsSchema).nullish(),
});

export const racecardRaceSchema = z.looseObject({
  ...requiredStrings([
    'race_id',
    'course',
    'course_id',
    'date',
    'off_time',
    'race_name',
    'distance_round',
    'distance',
    'distance_f',
    'region',
    'pattern',
    'race_class',
    'type',
    'age_band',
    'rating_band',
    'prize',
    'field_size',
    'going',
  ]),
  ...optionalStrings([
    'off_dt',
    'sex_restriction',
    'going_detailed',
    'rail_movements',
    'stalls',
    'weather',
    'surface',
    'jumps',
    'tip',
    'verdict',
    'betting_forecast',
    /* v1.4.3 */ 'race_status',
  ]),
  big_race: z.boolean().nullish(),
  is_abandoned: z.boolean().nullish(),
  runners: z.array(racecardRunnerSchema),
});

export const racecardsPageSchema = z.looseObject({
  racecards: z.array(racecardRaceSchema),
  ...pageEnvelope,
});

// ---------- /v1/horses/{horse_id}/pro (HorsePro): only id is required

export const horseProSchema = z.looseObject({
  id: z.string(),
  ...optionalStrings(['name', 'dob', 'sex', 'sex_code', 'colour', 'colour_code', 'breeder', ...PEDIGREE]),
});

// ---------- /v1/courses (CoursesPage > Course)

export const courseSchema = z.looseObject({
  ...requiredStrings(['id', 'course', 'region_code', 'region']),
});

export const coursesPageSchema = z.looseObject({
  courses: z.array(courseSchema),
  total: z.number().int().nonnegative(),
});

// ---------- /v1/courses/regions (a bare array of Region)

export const regionSchema = z.looseObject({
  ...requiredStrings(['region', 'region_code']),
});

export const regionsSchema = z.array(regionSchema);

/**
 * Spec fields the kit deliberately does not parse: they stay in the raw archive (raw_responses.body)
 * and, because the objects are loose, in the parsed data as unknown values. Keyed as
 * '<spec schema>.<property>'. test/racing-api/openapi.test.ts fails for any spec field that is neither
 * parsed above nor listed here.
 */
export const knowinglyRawOnly: Record<string, string> = {
  // Nested racecard runner extras. Validating them would only let a malformed quote or medical note fail
  // a whole day's page: rows.ts reads the loaded ones defensively (a malformed entry is skipped).
  'RunnerOddsPro.trainer_14_days':
    'trainer form summary {runs,wins,percent}: read by rows.ts (runner columns)',
  'RunnerOddsPro.prev_trainers': 'trainer change history: read by rows.ts (ra_horse_prev_trainers)',
  'RunnerOddsPro.prev_owners': 'owner change history: read by rows.ts (ra_horse_prev_owners)',
  'RunnerOddsPro.quotes': 'press quotes about the horse: not loaded',
  'RunnerOddsPro.stable_tour': 'stable tour quotes: not loaded',
  'RunnerOddsPro.medical': 'medical history {date,type}: read by rows.ts (ra_horse_medical)',
};

export type ResultRunner = z.infer<typeof resultRunnerSchema>;
export type ResultRace = z.infer<typeof resultRaceSchema>;
export type ResultsPage = z.infer<typeof resultsPageSchema>;
export type RacecardOdds = z.infer<typeof racecardOddsSchema>;
export type RacecardRunner = z.infer<typeof racecardRunnerSchema>;
export type RacecardRace = z.infer<typeof racecardRaceSchema>;
export type RacecardsPage = z.infer<typeof racecardsPageSchema>;
export type HorsePro = z.infer<typeof horseProSchema>;
export type Course = z.infer<typeof courseSchema>;
export type CoursesPage = z.infer<typeof coursesPageSchema>;
export type Regions = z.infer<typeof regionsSchema>;
