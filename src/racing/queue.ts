// Job identifiers, keys and limits of the Racing API tasks, and the set-based enqueue of enrich_horse jobs.

import type { Db, Sql, Tx } from '../db.ts';

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
 * whose job was removed by hand does not hold enrichment back forever). While it holds, an enrich job that
 * runs comes back later without a call, and new enrich jobs are queued parked (PARKED_RUN_AT): that fetch may
 * describe the horse for free, on a date whose runners the database does not know yet. The racecard fetch
 * that leaves it false releases them (releaseHeldEnrichment).
 */
export const RACECARD_FETCH_QUEUED = `exists (
  select from fetch_state f
  where f.source = 'racecards' and f.status = 'pending'
    and exists (select from graphile_worker.jobs j where j.key = 'racecards:' || to_char(f.date, 'YYYY-MM-DD')))`;

/** run_at of an enrich job held back while a racecard fetch is queued: never due until released. */
export const PARKED_RUN_AT = '9999-01-01T00:00:00Z';

/**
 * Queue enrich_horse for every given horse that no racecard described and was never tried (enrichment_status
 * NULL; racecard horses are 'racecard' by the time this runs, in the same transaction), in one add_jobs
 * call; parked (run_at PARKED_RUN_AT) while a racecard fetch is still queued (RACECARD_FETCH_QUEUED). Run it
 * inside the transaction that wrote the horses: the jobs exist exactly when the rows do.
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
export async function enqueueEnrichJobs(db: Tx, horseIds: readonly string[]): Promise<number> {
  if (horseIds.length === 0) return 0;
  // Shared with every other queueing transaction, exclusive to a release: a release waits for the
  // transactions that may be parking jobs to commit, and a transaction that takes the lock after a release
  // reads (next statement, fresh snapshot) the racecard fetch done.
  const gate = db`select pg_advisory_xact_lock_shared(${ENRICH_GATE_LOCK})`.execute();
  // MATERIALIZED: the list is used twice below; inlined, the horses' checks ran twice (a third of the call).
  const enqueue = db<{ queued: number }[]>`
    with held as materialized (
      select ${db.unsafe(RACECARD_FETCH_QUEUED)} as held
    ),
    specs as materialized (
      select array(
        select row(
          ${TASK.enrichHorse}::text, json_build_object('horse_id', h.id), null::text,
          case when held.held then ${PARKED_RUN_AT}::timestamptz end,
          -- Job key 'enrich_horse:<id>': one job per horse however many days it runs on.
          ${ENRICH_MAX_ATTEMPTS}::smallint, 'enrich_horse:' || h.id, ${ENRICH_PRIORITY}::int, null::text[]
        )::graphile_worker.job_spec
        from held, ra_horses h
        where h.id = any(${horseIds as string[]}::text[]) and h.enrichment_status is null
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
  const [, [row]] = await Promise.all([gate, enqueue]);
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
 * When no racecard fetch is queued any more, make the parked enrich jobs due now. Called by a racecard fetch
 * once it has ended and its write has committed (of two that end together, the one that commits last sees
 * the other done), and by enrich_new_horses (the daily sweep), should a crash have come in between.
 * Returns the jobs released.
 */
export async function releaseHeldEnrichment(sql: Sql): Promise<number> {
  const [queued] = await sql<{ queued: boolean }[]>`select ${sql.unsafe(RACECARD_FETCH_QUEUED)} as queued`;
  if (queued?.queued !== false) return 0;
  return sql.begin(async (t) => {
    // Waits for the transactions still parking jobs (enqueueEnrichJobs) to commit; the next statement sees them.
    await t`select pg_advisory_xact_lock(${ENRICH_GATE_LOCK})`;
    const [row] = await t<{ released: number }[]>`
      select count(*)::int as released from graphile_worker.reschedule_jobs(
        array(select j.id from graphile_worker.jobs j
              where j.task_identifier = ${TASK.enrichHorse} and j.run_at >= ${PARKED_RUN_AT}::timestamptz
                and not ${t.unsafe(RACECARD_FETCH_QUEUED)}),
        run_at => now())`;
    return row?.released ?? 0;
  });
}

/** The advisory lock between parking enrich jobs and releasing them (an arbitrary constant of the kit). */
const ENRICH_GATE_LOCK = 7_406_215_001;
