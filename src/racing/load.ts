// One day's rows into their tables, in one transaction (see upsert.ts for how each table is written).

import type { Tx } from '../db.ts';
import { dayDate, dropUnlistedOdds, markRemovedRunners, recordAmendment, wasLoaded } from './amendments.ts';
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
  type TableSpec,
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
  // Each table with its rows, in the order the statements are sent: entities, races, runners, bookmakers,
  // then the odds and horse extras (after the races they reference), then the removal marking and the
  // deletion of odds the page no longer lists.
  const tables: Array<[keyof DayRows, TableSpec]> = [
    ['courses', COURSES],
    ['jockeys', JOCKEYS],
    ['trainers', TRAINERS],
    ['owners', OWNERS],
    ['horses', HORSES],
    ['pedigrees', PEDIGREES],
    ['races', source === 'results' ? RESULT_RACES : RACECARD_RACES],
    ['runners', source === 'results' ? RUNNERS : RACECARD_RUNNERS],
    ['bookmakers', BOOKMAKERS],
    ['odds', RUNNER_ODDS],
    ['oddsHistory', RUNNER_ODDS_HISTORY],
    ['prevTrainers', HORSE_PREV_TRAINERS],
    ['prevOwners', HORSE_PREV_OWNERS],
    ['medical', HORSE_MEDICAL],
  ];
  const [counted, removed] = await Promise.all([
    Promise.all(tables.map(([key, spec]) => upsertRows(db, spec, rows[key]))),
    markRemovedRunners(db, source, rows),
    dropUnlistedOdds(db, source, rows),
  ]);
  const counts = Object.fromEntries(tables.map(([key], n) => [key, counted[n]])) as DayLoadCounts;
  if (date !== undefined && (await loadedBefore)) {
    const changes = {
      racesChanged: counts.races.updated,
      runnersChanged: counts.runners.updated,
      ...removed,
    };
    await recordAmendment(db, source, date, changes);
  }
  return counts;
}
