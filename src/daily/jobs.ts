// What the scheduled tasks do (tasks/daily_*.ts, enrich_new_horses.ts): queue the day fetches through the
// backfill planner (src/racing/plan.ts: one job per (source, date), job key '<source>:<date>', so a run and
// its catch-up runs never queue a date twice) and the enrichment of horses never tried.

import type { Sql } from '../db.ts';
import { addDays } from '../racing/dates.ts';
import { type BackfillQueued, queueBackfill } from '../racing/plan.ts';
import { enqueueEnrichJobs, releaseHeldEnrichment } from '../racing/queue.ts';
import { RACECARDS_DAYS_AHEAD } from '../racing/rules.ts';

export interface DailyFetch {
  /** UK date of the job's scheduled time (src/daily/cron.ts). */
  today: string;
  regions: readonly string[];
  enrich: boolean;
}

/**
 * Results of the `days` dates ending yesterday, re-fetched even when done (force): yesterday's are new, the
 * earlier ones pick up amendments (stewards' changes, SP corrections), which the loader records.
 */
export function queueDailyResults(sql: Sql, f: DailyFetch & { days: number }) {
  return queueBackfill(sql, {
    startDate: addDays(f.today, -f.days),
    endDate: addDays(f.today, -1),
    regions: f.regions,
    source: 'results',
    enrich: f.enrich,
    force: true,
    today: f.today,
  }).then((q) => ({ ...q, first: addDays(f.today, -f.days), last: addDays(f.today, -1) }));
}

/** Racecards from today to today + daysAhead, re-fetched (declarations, non-runners and odds change). */
export function queueDailyRacecards(
  sql: Sql,
  f: DailyFetch & { daysAhead: number },
): Promise<BackfillQueued & { first: string; last: string }> {
  const last = addDays(f.today, Math.min(f.daysAhead, RACECARDS_DAYS_AHEAD));
  return queueBackfill(sql, {
    startDate: f.today,
    endDate: last,
    regions: f.regions,
    source: 'racecards',
    enrich: f.enrich,
    force: true,
    today: f.today,
  }).then((q) => ({ ...q, first: f.today, last }));
}

/**
 * enrich_horse jobs for up to `limit` horses never tried (enrichment_status NULL); returns the jobs queued.
 * Also releases enrich jobs still parked with no racecard fetch queued (a crash after the last one's commit).
 */
export async function queueNewHorses(sql: Sql, limit: number): Promise<{ pending: number; queued: number }> {
  await releaseHeldEnrichment(sql);
  const rows = await sql<{ id: string }[]>`
    select id from ra_horses where enrichment_status is null order by id limit ${limit}`;
  const queued = await sql.begin((tx) =>
    enqueueEnrichJobs(
      tx,
      rows.map((r) => r.id),
    ),
  );
  return { pending: rows.length, queued };
}
