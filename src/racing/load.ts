// One day's rows into their tables, in one transaction (see upsert.ts for how each table is written).

import type { Tx } from '../db.ts';
import { dayDate, markRemovedRunners, recordAmendment, wasLoaded } from './amendments.ts';
import type { DayRows } from './rows.ts';
import {
  BOOKMAKERS,
  COURSES,
  HORSE_MEDICAL,
  HORSE_PREV_OWNERS,
  HORSE_PREV_TRAINERS,
  HORSES,
  JOCKEYS,
  OWNERS,
  PEDIGREES,
  RACECARD_RACES,
  RACECARD_RUNNERS,
  RESULT_RACES,
  RUNNER_ODDS,
  RUNNER_ODDS_HISTORY,
  RUNNERS,
  TRAINERS,
} from './table-specs.ts';
import { type UpsertCount, upsertRows } from './upsert.ts';

export type DaySource = 'results' | 'racecards';

export type DayLoadCounts = Record<keyof DayRows, UpsertCount>;

/**
 * Load one day's rows: entities first (runners reference them), then races, runners, bookmakers, odds and the horse extras. All
 * statements are sent at once, in that order (see upsertRows), and awaited together; if one fails, the
 * ones after it fail on the aborted transaction and the first error is the one reported. A transaction,
 * not a pool: pooled statements could run side by side on different connections.
 */
export async function loadDayRows(db: Tx, source: DaySource, rows: DayRows): Promise<DayLoadCounts> {
  // Amendments (amendments.ts): read whether the date was loaded before anything of it is written.
  const date = dayDate(rows);
  const loadedBefore = wasLoaded(db, source, date);
  // Awaited after the upserts; if the transaction fails, their error is the one reported.
  loadedBefore.catch(() => {});
  const [
    courses,
    jockeys,
    trainers,
    owners,
    horses,
    pedigrees,
    races,
    runners,
    bookmakers,
    odds,
    oddsHistory,
    prevTrainers,
    prevOwners,
    medical,
    removed,
  ] = await Promise.all([
    upsertRows(db, COURSES, rows.courses),
    upsertRows(db, JOCKEYS, rows.jockeys),
    upsertRows(db, TRAINERS, rows.trainers),
    upsertRows(db, OWNERS, rows.owners),
    upsertRows(db, HORSES, rows.horses),
    upsertRows(db, PEDIGREES, rows.pedigrees),
    upsertRows(db, source === 'results' ? RESULT_RACES : RACECARD_RACES, rows.races),
    upsertRows(db, source === 'results' ? RUNNERS : RACECARD_RUNNERS, rows.runners),
    upsertRows(db, BOOKMAKERS, rows.bookmakers),
    // After the races they reference.
    upsertRows(db, RUNNER_ODDS, rows.odds),
    upsertRows(db, RUNNER_ODDS_HISTORY, rows.oddsHistory),
    upsertRows(db, HORSE_PREV_TRAINERS, rows.prevTrainers),
    upsertRows(db, HORSE_PREV_OWNERS, rows.prevOwners),
    upsertRows(db, HORSE_MEDICAL, rows.medical),
    markRemovedRunners(db, source, rows),
  ]);
  if (date !== undefined && (await loadedBefore)) {
    const changes = { racesChanged: races.updated, runnersChanged: runners.updated, ...removed };
    await recordAmendment(db, source, date, changes);
  }
  return {
    courses,
    jockeys,
    trainers,
    owners,
    horses,
    pedigrees,
    races,
    runners,
    bookmakers,
    odds,
    oddsHistory,
    prevTrainers,
    prevOwners,
    medical,
  };
}
