// Job identifiers, keys and limits of the Racing API tasks, and the set-based enqueue of enrich_horse jobs.

import type { Db } from './load.ts';

export const TASK = {
  backfillDates: 'backfill_dates',
  fetchResultsDay: 'fetch_results_day',
  fetchRacecardsDay: 'fetch_racecards_day',
  enrichHorse: 'enrich_horse',
} as const;

/**
 * Attempts per job. graphile-worker's backoff is exp(attempts) s, so 8 attempts span about 29 minutes:
 * long enough to ride out an API outage or a Cloudflare cool-off, short enough to surface a real fault.
 */
export const FETCH_MAX_ATTEMPTS = 8;
export const ENRICH_MAX_ATTEMPTS = 8;
/** Lower runs first: day pages before enrichment, so complete days land early in a long backfill. */
export const DAY_PRIORITY = 0;
export const ENRICH_PRIORITY = 5;

/**
 * Queue enrich_horse for every given horse that was never tried (enrichment_status NULL), in one add_jobs
 * call. Run it inside the transaction that wrote the horses: the jobs exist exactly when the rows do.
 * The job key makes a horse that runs on many days one job; once enriched it is never queued again.
 */
export async function enqueueEnrichJobs(db: Db, horseIds: readonly string[]): Promise<number> {
  if (horseIds.length === 0) return 0;
  const [row] = await db<{ queued: number }[]>`
    select count(*)::int as queued from graphile_worker.add_jobs(
      array(
        select row(
          ${TASK.enrichHorse}::text, json_build_object('horse_id', h.id), null::text, null::timestamptz,
          -- Job key 'enrich_horse:<id>': one job per horse however many days it runs on.
          ${ENRICH_MAX_ATTEMPTS}::smallint, 'enrich_horse:' || h.id, ${ENRICH_PRIORITY}::int, null::text[]
        )::graphile_worker.job_spec
        from ra_horses h
        where h.id = any(${horseIds as string[]}::text[]) and h.enrichment_status is null
        order by h.id
      ),
      job_key_preserve_run_at => true
    )`;
  return row?.queued ?? 0;
}
