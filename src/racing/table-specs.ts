// What the loader writes into each table, read from the drizzle declarations in schema/: the columns a
// loader gives values to (every column without a database default or generation expression), their
// PostgreSQL types, and the conflict key. Only the policies are written here: which timestamps a source
// stamps, and which shared columns a source yields to the other.

import { getTableConfig, type PgColumn, type PgTable } from 'drizzle-orm/pg-core';
import {
  raBookmakers,
  raCourseRegions,
  raCourses,
  raHorseMedical,
  raHorsePedigree,
  raHorsePrevOwners,
  raHorsePrevTrainers,
  raHorses,
  raJockeys,
  raMstRaces,
  raMstRunners,
  raOwners,
  raRunnerOdds,
  raRunnerOddsHistory,
  raTrainers,
} from '../../schema/racing.ts';

export interface TableSpec {
  table: string;
  key: readonly string[];
  /** Column -> PostgreSQL type of its array parameter (without precision: the column applies that). */
  columns: Readonly<Record<string, string>>;
  /** Columns set to now() whenever the row is inserted or really changed (not part of the comparison). */
  touch?: readonly string[];
  /** Tables with created_at/updated_at stamps. */
  stamped?: boolean;
  /**
   * Shared columns this source only fills while `guard` (SQL on the existing row `t`) holds: results own
   * what both sources carry once a result is in, so alternating racecard and result loads never flip values.
   */
  yieldTo?: { guard: string; columns: readonly string[] };
}

/** The column's type without precision (the column applies that), in its short spelling. */
const parameterType = (c: PgColumn) =>
  c
    .getSQLType()
    .replace(/\(.*\)/, '')
    .replace('timestamp with time zone', 'timestamptz');

/** `exclude`: columns without a default that the loader still never gives a value (set by `touch`). */
function tableSpec(table: PgTable, exclude: readonly PgColumn[] = []): TableSpec {
  const config = getTableConfig(table);
  const skipped = new Set(exclude.map((c) => c.name));
  const written = config.columns.filter((c) => !c.hasDefault && !c.generated && !skipped.has(c.name));
  const columns = Object.fromEntries(written.map((c) => [c.name, parameterType(c)]));
  // The primary key (one column or a composite one), unless it is a serial the loader never writes: then
  // the first unique key.
  const single = config.columns.filter((c) => c.primary && c.name in columns).map((c) => c.name);
  const primary = single.length > 0 ? single : (config.primaryKeys[0]?.columns.map((c) => c.name) ?? []);
  const key = primary.length > 0 ? primary : (config.uniqueConstraints[0]?.columns.map((c) => c.name) ?? []);
  if (key.length === 0) throw new Error(`${config.name}: no key the loader writes`);
  return { table: config.name, key, columns, stamped: config.columns.some((c) => c.name === 'updated_at') };
}

const names = (columns: readonly PgColumn[]) => columns.map((c) => c.name);

export const COURSES = tableSpec(raCourses);
export const COURSE_REGIONS = tableSpec(raCourseRegions);
export const JOCKEYS = tableSpec(raJockeys);
export const TRAINERS = tableSpec(raTrainers);
export const OWNERS = tableSpec(raOwners);
export const BOOKMAKERS = tableSpec(raBookmakers);
export const HORSES = tableSpec(raHorses);
export const PEDIGREES = tableSpec(raHorsePedigree);
export const RUNNER_ODDS = tableSpec(raRunnerOdds);
export const RUNNER_ODDS_HISTORY = tableSpec(raRunnerOddsHistory);
export const HORSE_PREV_TRAINERS = tableSpec(raHorsePrevTrainers);
export const HORSE_PREV_OWNERS = tableSpec(raHorsePrevOwners);
export const HORSE_MEDICAL = tableSpec(raHorseMedical);

const races = raMstRaces;
const RACES = tableSpec(races, [races.racecardFetchedAt, races.resultFetchedAt]);
export const RESULT_RACES: TableSpec = { ...RACES, touch: [races.resultFetchedAt.name] };
export const RACECARD_RACES: TableSpec = {
  ...RACES,
  touch: [races.racecardFetchedAt.name],
  // Race columns both sources carry (results' values win once a result is loaded).
  yieldTo: {
    guard: `t.${races.resultFetchedAt.name} is not null`,
    columns: names([
      races.courseId,
      races.course,
      races.date,
      races.offDt,
      races.raceName,
      races.region,
      races.type,
      races.raceClass,
      races.pattern,
      races.ageBand,
      races.ratingBand,
      races.sexRestriction,
      races.distanceText,
      races.distanceFurlongs,
      races.distanceYards,
      races.going,
      races.surface,
      races.jumps,
    ]),
  },
};

const runners = raMstRunners;
// removed_at is the amendment check's (src/racing/amendments.ts), never a page's value.
export const RUNNERS = tableSpec(runners, [runners.removedAt]);
export const RACECARD_RUNNERS: TableSpec = {
  ...RUNNERS,
  // Runner columns both sources carry; a runner has its result once position is set.
  yieldTo: {
    guard: `t.${runners.position.name} is not null`,
    columns: names([
      runners.jockeyId,
      runners.trainerId,
      runners.ownerId,
      runners.horseName,
      runners.number,
      runners.draw,
      runners.age,
      runners.sexCode,
      runners.weightLbs,
      runners.headgear,
      runners.ofr,
      runners.rpr,
      runners.ts,
      runners.sireId,
      runners.damId,
      runners.damsireId,
      runners.silkUrl,
    ]),
  },
};
