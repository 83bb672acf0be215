// Job identifiers, keys and limits of the Racing API tasks, and the set-based enqueue of enrich_horse jobs.

import type { Db } from '../db.ts';

export const TASK = {
  backfillDates: 'backfill_dates',
  fetchResultsDay: 'fetch_results_day',
  fetchRacecardsDay: 'fetch_racecards_day',
  enrichHorse: 'enrich_horse',
  enrichNewHorses: 'enrich_new_horses',
} as const;

/**
 * Attempts per job. graphile-worker's backoff is exp(attempts) s, so 8 attempts span about 29 minutes:
 * long enough to ride out an API outage or a Cloudflare cool-off, short enough to surface a real fault.
 */
export const FETCH_MAX_ATTEMPTS = 8;
export const ENRICH_MAX_ATTEMPTS = 8;
/**
 * Job priorities, lower first. Racecard dates run first: once none is queued, every horse a pro racecard of
 * the queued range describes has its profile, so enrichment may start (RACECARD_FETCH_QUEUED below). Then
 * results dates; enrichment last, or beside the results in the worker's enrichment lane (src/worker.ts
 * `enrichConcurrency`), which keeps the budget busy with horse calls while results dates are written.
 */
export const RACECARDS_DAY_PRIORITY = 0;
export const RESULTS_DAY_PRIORITY = 1;
export const ENRICH_PRIORITY = 5;

/**
 * SQL predicate: a racecard fetch is still to run (fetch_state pending, and its job exists: a pending row
 * whose job was removed by hand does not hold enrichment back forever). While it holds, no horse is queued
 * for a call and an enrich job that runs comes back later: that fetch may describe the horse for free, on a
 * date whose runners the database does not know yet. The racecard fetch that leaves it false queues the
 * enrichment held back meanwhile (queueHeldEnrichment).
 */
export const RACECARD_FETCH_QUEUED = `exists (
  select from fetch_state f
  where f.source = 'racecards' and f.status = 'pending'
    and exists (select from graphile_worker.jobs j where j.key = 'racecards:' || to_char(f.date, 'YYYY-MM-DD')))`;

/**
 * Queue enrich_horse for every given horse that no racecard described and was never tried (enrichment_status
 * NULL; racecard horses are 'racecard' by the time this runs, in the same transaction), in one add_jobs
 * call, unless a racecard fetch is still queued (RACECARD_FETCH_QUEUED: then none, and the last racecard
 * fetch queues them). Run it inside the transaction that wrote the horses: the jobs exist exactly when the rows do.
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
          -- A queued racecard fetch may describe it for free (uncorrelated: evaluated once).
          and not ${db.unsafe(RACECARD_FETCH_QUEUED)}
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

/**
 * After a racecard fetch has ended (done, failed for good, outside the window, not in the plan): if no
 * other racecard fetch is queued any more, queue one enrich_new_horses job (job key: one at a time) for the
 * horses whose enrichment was held back meanwhile. Run after the fetch's own write has committed: of two
 * racecard fetches that end together, the one that commits last sees the other done.
 */
export async function queueHeldEnrichment(db: Db): Promise<boolean> {
  const rows = await db`
    select graphile_worker.add_job(${TASK.enrichNewHorses}, json_build_object('limit', ${HELD_ENRICHMENT_LIMIT}::int),
      job_key => 'enrich_new_horses:after_racecards', priority => ${ENRICH_PRIORITY}::int,
      max_attempts => ${ENRICH_MAX_ATTEMPTS}::int)
    where not ${db.unsafe(RACECARD_FETCH_QUEUED)}`;
  return rows.length > 0;
}

/** Horses queued by one held-enrichment job: every untried horse of a full 2015-2025 backfill fits. */
export const HELD_ENRICHMENT_LIMIT = 1_000_000;
