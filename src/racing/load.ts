// One day's rows into their tables, in one transaction (see upsert.ts for how each table is written).

import type { Sql, Tx } from '../db.ts';
import {
  dayDate,
  dropUnlistedOdds,
  hasStoredOdds,
  markRemovedRunners,
  recordAmendment,
  wasLoaded,
} from './amendments.ts';
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
 * The tables of reference rows that many dates carry: courses, people, bookmakers, horses and what is known
 * per horse. A fetch writes them before the date's transaction, each statement committing by itself
 * (loadDayEntities). A new row stays locked until its transaction commits; inside a date's transaction that
 * is until the whole date is written and the worker, busy with other dates, gets round to sending COMMIT.
 * Concurrent dates carry many of the same new owners, trainers and courses, and waited for each other one
 * after another. They are not the date: a date is done only in the transaction that writes its races,
 * runners and checkpoint; entity rows written before a crash are written again, the same, by the re-run.
 */
const ENTITY_TABLES: ReadonlyArray<[keyof DayRows, TableSpec]> = [
  ['courses', COURSES],
  ['jockeys', JOCKEYS],
  ['trainers', TRAINERS],
  ['owners', OWNERS],
  ['horses', HORSES],
  ['pedigrees', PEDIGREES],
  ['bookmakers', BOOKMAKERS],
  ['prevTrainers', HORSE_PREV_TRAINERS],
  ['prevOwners', HORSE_PREV_OWNERS],
  ['medical', HORSE_MEDICAL],
];

/**
 * The entity rows of a day (ENTITY_TABLES) outside any transaction: the statements are pipelined on one
 * reserved connection, in dependency order, and each commits as soon as it has run, so no row stays locked
 * while the worker does anything else.
 */
export async function loadDayEntities(sql: Sql, rows: DayRows): Promise<UpsertCount[]> {
  const connection = await sql.reserve();
  try {
    return await Promise.all(
      ENTITY_TABLES.map(([key, spec]) => upsertRows(connection, spec, rows[key], { shared: true })),
    );
  } finally {
    connection.release();
  }
}

export interface LoadDayOptions {
  /** False when loadDayEntities already wrote the day's entities (in a transaction committed before). */
  entities?: boolean;
}

/**
 * Load one day's rows: entities first (unless written already), then races, runners, odds. All statements
 * are sent at once, in that order (see upsertRows), and awaited together; if one fails, the ones after it
 * fail on the aborted transaction and the first error is the one reported. A transaction, not a pool:
 * pooled statements could run side by side on different connections.
 */
export async function loadDayRows(
  db: Tx,
  source: DaySource,
  rows: DayRows,
  { entities = true }: LoadDayOptions = {},
): Promise<DayLoadCounts> {
  // Amendments (amendments.ts): read whether the date was loaded, and its races' odds stored, before
  // anything of it is written.
  const date = dayDate(rows);
  const loadedBefore = wasLoaded(db, source, date);
  const oddsStored = hasStoredOdds(db, source, rows);
  // Awaited after the upserts; if the transaction fails, their error is the one reported.
  loadedBefore.catch(() => {});
  oddsStored.catch(() => {});
  // Each table with its rows, in the order the statements are sent: entities, races, runners, then the odds
  // (after the races and bookmakers they reference), then the removal marking and the deletion of odds the
  // page no longer lists.
  const tables: Array<[keyof DayRows, TableSpec]> = [
    ...ENTITY_TABLES,
    ['races', source === 'results' ? RESULT_RACES : RACECARD_RACES],
    ['runners', source === 'results' ? RUNNERS : RACECARD_RUNNERS],
    ['odds', RUNNER_ODDS],
    ['oddsHistory', RUNNER_ODDS_HISTORY],
  ];
  const written = (key: keyof DayRows) => entities || !ENTITY_TABLES.some(([k]) => k === key);
  // Only a date's racecard fetch writes its odds (never two transactions at once: one job per date).
  const exclusive = (key: keyof DayRows) => key === 'odds' || key === 'oddsHistory';
  const [counted, removed] = await Promise.all([
    Promise.all(
      tables.map(([key, spec]) =>
        upsertRows(db, spec, written(key) ? rows[key] : [], { exclusive: exclusive(key) }),
      ),
    ),
    markRemovedRunners(db, source, rows),
    dropUnlistedOdds(db, rows, oddsStored),
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
