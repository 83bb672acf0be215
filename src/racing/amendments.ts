// Amendments: what a re-fetch of an already loaded date changed. The upserts already count the rows whose
// values really changed (upsert.ts); this module adds the runners a page no longer lists (a non-runner
// taken off a card, a runner dropped from a result) and records one date_amendments row per re-fetch of a
// 'done' (source, date) that changed anything. All statements run in the day's transaction (load.ts).

import type { Tx } from '../db.ts';
import type { DaySource } from './load.ts';
import type { DayRows, Row } from './rows.ts';

export interface RemovedRunners {
  /** Runners of the page's races that the page no longer lists, marked removed_at now. */
  removed: number;
  /** Runners marked removed before that the page lists again. */
  restored: number;
}

/** The one date of a day's rows ('YYYY-MM-DD'), or undefined for an empty day. */
export function dayDate(rows: DayRows): string | undefined {
  const dates = new Set(rows.races.map((r) => String(r.date)));
  return dates.size === 1 ? [...dates][0] : undefined;
}

/** The ids of a page's races, once each. */
function pageRaceIds(rows: DayRows): string[] {
  return [...new Set(rows.races.map((r) => String(r.id)))];
}

/**
 * Whether (source, date) was loaded before this write. Sent at call time, before the caller's checkpoint
 * statement is sent on the same transaction, so it reads the state from before this fetch.
 */
export function wasLoaded(db: Tx, source: DaySource, date: string | undefined): Promise<boolean> {
  if (date === undefined) return Promise.resolve(false);
  return db<{ done: boolean }[]>`
    select exists (select from fetch_state where source = ${source} and date = ${date} and status = 'done') as done`
    .execute()
    .then(([row]) => row?.done === true);
}

/**
 * Marks runners of the page's races that an earlier page of the same source listed and this one does not,
 * and clears the mark of listed ones. A race belongs to its result once one is loaded: a racecard page then
 * changes no marks. A results page only marks runners that had a result (position set), never a card's
 * non-runner that no result ever listed: so loading cards and results in either order gives the same rows,
 * and only a real change between two fetches marks anything. Sent at call time, so it must be called after
 * the runners' upsert.
 */
export function markRemovedRunners(db: Tx, source: DaySource, rows: DayRows): Promise<RemovedRunners> {
  const raceIds = pageRaceIds(rows);
  if (raceIds.length === 0) return Promise.resolve({ removed: 0, restored: 0 });
  const runnerRaces = rows.runners.map((r) => String(r.race_id));
  const runnerHorses = rows.runners.map((r) => String(r.horse_id));
  const racecards = source === 'racecards';
  // The races' runners whose mark must flip (a runner the page does not list and not marked yet, or one it
  // lists that is marked), then one UPDATE of those. Each step is a key lookup per race or per runner, so
  // the plan stays right whatever the table's size and statistics: `race_id = any(...)` was planned as a
  // scan of every runner on a database never analysed (a date cost more the more dates were loaded), and a
  // plan cached while the tables were small kept scanning them. OFFSET 0 keeps the per-race lookup from being
  // merged into a join that could be planned the same way; the UPDATE finds its rows by ctid (a TID scan,
  // the only plan there is; a row another transaction updated meanwhile is followed to its new version).
  return db<{ removed: number; restored: number }[]>`
    with listed as (
      select * from unnest(${runnerRaces}::text[], ${runnerHorses}::text[]) as l(race_id, horse_id)
    ),
    changed as (
      select u.ctid
      from unnest(${raceIds}::text[]) as page(race_id)
      cross join lateral (
        select ctid, race_id, horse_id, removed_at, position from ra_mst_runners u
        where u.race_id = page.race_id offset 0
      ) u
      where ((u.race_id, u.horse_id) in (select * from listed)) = (u.removed_at is not null)
        and (${racecards}::boolean or u.position is not null or (u.race_id, u.horse_id) in (select * from listed))
        and not (${racecards}::boolean and exists (
          select from ra_mst_races r where r.id = u.race_id and r.result_fetched_at is not null))
    ),
    written as (
      update ra_mst_runners u set removed_at = case when u.removed_at is null then now() end, updated_at = now()
      where u.ctid = any(array(select ctid from changed))
      returning u.removed_at is not null as removed
    )
    select count(*) filter (where removed)::int as removed, count(*) filter (where not removed)::int as restored
    from written`
    .execute()
    .then(([row]) => ({ removed: row?.removed ?? 0, restored: row?.restored ?? 0 }));
}

/**
 * Whether any odds are stored for the races of a racecard page. Sent at call time, before the page's odds
 * are written on the same transaction (as wasLoaded), so it reads what earlier fetches left.
 */
export function hasStoredOdds(db: Tx, source: DaySource, rows: DayRows): Promise<boolean> {
  if (source !== 'racecards') return Promise.resolve(false);
  const raceIds = pageRaceIds(rows);
  if (raceIds.length === 0) return Promise.resolve(false);
  return db<{ stored: boolean }[]>`
    select exists (select from unnest(${raceIds}::text[]) as page(race_id)
                   where exists (select from ra_runner_odds o where o.race_id = page.race_id)) as stored`
    .execute()
    .then(([row]) => row?.stored === true);
}

/**
 * A racecard page is the whole truth about its races' odds: rows of ra_runner_odds and ra_runner_odds_history
 * of the page's races that it no longer lists (a bookmaker that stopped pricing a runner, a runner taken off
 * the card, an earlier price the API dropped) are deleted, so a re-fetch leaves what the latest page says,
 * as a rederive from the archived page (raw_responses keeps the latest) would. Odds come from racecards only,
 * so a results page never touches them. The horse's previous trainers and owners and its medical history
 * stay: they are facts about the horse, keyed by horse, gathered from every card it was on, not about
 * this race. Not counted as an amendment: prices move on every fetch of a card.
 *
 * `stored` (hasStoredOdds, sent before the odds were written; false for a results page or an empty one): on a
 * first fetch no odds of the page's races exist, and the statement, which ships every listed key (~10,000
 * per date) to compare them, is not sent. History rows exist only beside their odds row (odds[].history), so
 * none are stored either.
 */
export async function dropUnlistedOdds(db: Tx, rows: DayRows, stored: Promise<boolean>): Promise<void> {
  if (!(await stored)) return;
  const raceIds = pageRaceIds(rows);
  const column = (list: readonly Row[], c: string) => list.map((r) => String(r[c]));
  // Found per race through the (race_id, …) key and deleted by ctid: key lookups and TID scans only, as in
  // markRemovedRunners (these tables hold every runner's prices of every card).
  await db`
    with listed_odds as (
      select * from unnest(${column(rows.odds, 'race_id')}::text[], ${column(rows.odds, 'horse_id')}::text[],
                           ${column(rows.odds, 'bookmaker')}::text[]) as l(race_id, horse_id, bookmaker)
    ),
    listed_history as (
      select * from unnest(${column(rows.oddsHistory, 'race_id')}::text[],
                           ${column(rows.oddsHistory, 'horse_id')}::text[],
                           ${column(rows.oddsHistory, 'bookmaker')}::text[],
                           ${column(rows.oddsHistory, 'changed_at')}::timestamptz[])
        as l(race_id, horse_id, bookmaker, changed_at)
    ),
    odds as (
      delete from ra_runner_odds where ctid = any(array(
        select o.ctid from unnest(${raceIds}::text[]) as page(race_id)
        cross join lateral (select ctid, race_id, horse_id, bookmaker from ra_runner_odds o
                            where o.race_id = page.race_id offset 0) o
        where (o.race_id, o.horse_id, o.bookmaker) not in (select * from listed_odds)))
    ),
    history as (
      delete from ra_runner_odds_history where ctid = any(array(
        select h.ctid from unnest(${raceIds}::text[]) as page(race_id)
        cross join lateral (select ctid, race_id, horse_id, bookmaker, changed_at from ra_runner_odds_history h
                            where h.race_id = page.race_id offset 0) h
        where (h.race_id, h.horse_id, h.bookmaker, h.changed_at) not in (select * from listed_history)))
    )
    select`;
}

export interface DayChanges extends RemovedRunners {
  racesChanged: number;
  runnersChanged: number;
}

/** One audit row when a date loaded before changed; returns whether it was written. */
export async function recordAmendment(
  db: Tx,
  source: DaySource,
  date: string,
  c: DayChanges,
): Promise<boolean> {
  if (c.racesChanged + c.runnersChanged + c.removed + c.restored === 0) return false;
  await db`
    insert into date_amendments (source, date, races_changed, runners_changed, runners_removed, runners_restored)
    values (${source}, ${date}, ${c.racesChanged}, ${c.runnersChanged}, ${c.removed}, ${c.restored})`;
  return true;
}
