// Job identifiers, keys and limits of the Racing API tasks, and the set-based enqueue of enrich_horse jobs.

import type { Db } from '../db.ts';

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
 * SQL predicate on a horse row `h`: it runs on a date whose racecard fetch is queued (fetch_state pending), so
 * that fetch will bring its profile without a horse call. Used when queueing and again when the job runs.
 *
 * Written as lookups from the horse: its runs (OFFSET 0 keeps them a per-horse index lookup), then each
 * run's race and that date's racecard state by key. As a plain three-way join the planner started from the
 * pending racecard dates (a backfill queues ~1,000 of them up front) and, for every horse, walked all their
 * races: 1.7 s per results date of 300 horses in a 2015-2025 backfill, against ~0.05 s this way.
 */
export const RACECARD_PENDING = `exists (
  select from (select u.race_id from ra_mst_runners u where u.horse_id = h.id offset 0) run
  where (select f.status from ra_mst_races r join fetch_state f on f.source = 'racecards' and f.date = r.date
         where r.id = run.race_id) = 'pending')`;

/**
 * Queue enrich_horse for every given horse that no racecard described and was never tried (enrichment_status
 * NULL; racecard horses are 'racecard' by the time this runs, in the same transaction), in one add_jobs
 * call. Run it inside the transaction that wrote the horses: the jobs exist exactly when the rows do.
 * The job key makes a horse that runs on many days one job; once enriched it is never queued again.
 *
 * Horses whose job is already waiting untouched (same task, priority and attempts limit, never attempted,
 * not running) are left out: add_jobs would only rewrite that job's row with the same values, and on a
 * date of ~280 runners that was most of the horses and most of the call's time. Everything add_jobs
 * really changes is still sent: new horses, a job waiting to retry or failed for good (add_jobs resets its
 * attempts), a running job (add_jobs queues a fresh one beside it), a horse left NULL by an enrichment that
 * could not finish (no job any more). The check reads the public graphile_worker.jobs view by job key.
 * Returns the number of jobs added or reset. Sent at call time (`execute()`), so it can be pipelined
 * behind the statements that wrote the horses.
 */
export async function enqueueEnrichJobs(db: Db, horseIds: readonly string[]): Promise<number> {
  if (horseIds.length === 0) return 0;
  // MATERIALIZED: the list is used twice below; inlined, the horses' checks ran twice (a third of the call).
  const [row] = await db<{ queued: number }[]>`
    with specs as materialized (
      select array(
        select row(
          ${TASK.enrichHorse}::text, json_build_object('horse_id', h.id), null::text, null::timestamptz,
          -- Job key 'enrich_horse:<id>': one job per horse however many days it runs on.
          ${ENRICH_MAX_ATTEMPTS}::smallint, 'enrich_horse:' || h.id, ${ENRICH_PRIORITY}::int, null::text[]
        )::graphile_worker.job_spec
        from ra_horses h
        where h.id = any(${horseIds as string[]}::text[]) and h.enrichment_status is null
          -- A queued racecard fetch of one of its dates describes it for free. (Should that fetch fail for
          -- good, the horse stays untried until a later fetch of one of its dates queues it.)
          and not ${db.unsafe(RACECARD_PENDING)}
          and not exists (
            select from graphile_worker.jobs j
            where j.key = 'enrich_horse:' || h.id and j.task_identifier = ${TASK.enrichHorse}
              and j.attempts = 0 and j.locked_at is null
              and j.priority = ${ENRICH_PRIORITY} and j.max_attempts = ${ENRICH_MAX_ATTEMPTS})
        order by h.id
      ) as list
    )
    select count(j.*)::int as queued
    from specs
    left join lateral graphile_worker.add_jobs(specs.list, job_key_preserve_run_at => true) j
      on true
    where cardinality(specs.list) > 0`.execute();
  return row?.queued ?? 0;
}

/** How long an enrich job waits for a queued racecard fetch of one of its horse's dates before it looks again. */
export const ENRICH_DEFER_SECONDS = 600;

/**
 * Queue the horse's enrich job again for later (the running job then ends without a call). add_job with
 * the key of a running job leaves that one alone and queues a fresh job beside it.
 */
export async function deferEnrichJob(db: Db, horseId: string): Promise<void> {
  await db`
    select graphile_worker.add_job(${TASK.enrichHorse}, json_build_object('horse_id', ${horseId}::text),
      run_at => now() + make_interval(secs => ${ENRICH_DEFER_SECONDS}),
      max_attempts => ${ENRICH_MAX_ATTEMPTS}, job_key => ${`enrich_horse:${horseId}`},
      priority => ${ENRICH_PRIORITY})`;
}
