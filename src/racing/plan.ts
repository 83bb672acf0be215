// backfill_dates: turn a date range into (source, date) fetch jobs, set-based in one statement, so
// queueing 2015-2025 (about 8,000 pairs) costs one round trip: generate_series plans the pairs, fetch_state
// gets a 'pending' row per new pair, and one graphile_worker.add_jobs call queues a job per pair that is
// not already done (job key '<source>:<date>', run_at preserved, so queueing twice is harmless).
//
// Sources (date rules from rules.ts): 'results' = results for dates up to today; 'racecards' = racecards
// inside their window (racecardWindow); 'both' = both of those; 'auto' = results for past dates (< today) plus
// racecards inside the window (racecard-only fields for past dates, cards only for today and the week ahead).
// A pair counts as done (skipped unless force) only when its fetch_state is 'done' for the same regions and
// its date is before today: today's and future days still change, so queueing them again re-fetches them.
// Racecard dates run before results dates (priorities, queue.ts): enrichment waits for the racecards.

import type { Db } from '../db.ts';
import { FETCH_MAX_ATTEMPTS, RACECARDS_DAY_PRIORITY, RESULTS_DAY_PRIORITY, TASK } from './queue.ts';
import { racecardWindow } from './rules.ts';

export type BackfillSource = 'auto' | 'results' | 'racecards' | 'both';

export interface BackfillPlan {
  startDate: string;
  endDate: string;
  regions: readonly string[];
  source: BackfillSource;
  enrich: boolean;
  force: boolean;
  /** UK date of today. */
  today: string;
}

export interface BackfillQueued {
  /** (source, date) pairs the range covers. */
  pairs: number;
  /** Jobs queued (pairs not yet done, or all of them with force). */
  queued: number;
  /** Pairs skipped because they are done already. */
  done: number;
}

export async function queueBackfill(db: Db, p: BackfillPlan): Promise<BackfillQueued> {
  const window = racecardWindow(p.today);
  // The SQL's `<= today` is rules.ts hasResults and `< today` its isFinal, applied to the whole range at once.
  const [row] = await db<BackfillQueued[]>`
    with params as (
      select ${p.startDate}::date as start_date, ${p.endDate}::date as end_date, ${p.today}::date as today,
             ${p.source}::text as src, ${p.force}::boolean as force, ${p.regions as string[]}::text[] as regions,
             ${p.enrich}::boolean as enrich
    ),
    dates as (
      select d::date as date from params, generate_series(start_date, end_date, interval '1 day') d
    ),
    pairs as (
      select 'results'::text as source, d.date from dates d, params
      where (src in ('results', 'both') and d.date <= today) or (src = 'auto' and d.date < today)
      union all
      select 'racecards', d.date from dates d, params
      where src <> 'results' and d.date between ${window.first}::date and ${window.last}::date
    ),
    planned as (
      select pr.source, pr.date,
             -- Dates from today on are never final (cards and results still change): always re-queued.
             coalesce(f.status = 'done' and f.regions @> params.regions and pr.date < params.today, false) as done
      from pairs pr cross join params left join fetch_state f on f.source = pr.source and f.date = pr.date
    ),
    todo as (
      select pl.* from planned pl, params where not pl.done or params.force
    ),
    checkpoint as (
      insert into fetch_state as f (source, date, status, regions)
      select t.source, t.date, 'pending', params.regions from todo t, params
      on conflict (source, date) do update set
        -- A done date stays done until its forced re-fetch commits; anything else starts afresh.
        status = case when f.status = 'done' then 'done' else 'pending' end,
        regions = case when f.status = 'done' then f.regions else excluded.regions end,
        attempts = case when f.status = 'done' then f.attempts else 0 end,
        last_error = case when f.status = 'done' then f.last_error end,
        error_path = case when f.status = 'done' then f.error_path end,
        queued_at = now(), updated_at = now()
      returning 1
    ),
    jobs as (
      select 1 from graphile_worker.add_jobs(
        array(
          select row(
            case t.source when 'results' then ${TASK.fetchResultsDay} else ${TASK.fetchRacecardsDay} end,
            json_build_object('date', to_char(t.date, 'YYYY-MM-DD'), 'regions', params.regions,
                              'enrich', params.enrich, 'force', params.force),
            null::text, null::timestamptz, ${FETCH_MAX_ATTEMPTS}::smallint,
            t.source || ':' || to_char(t.date, 'YYYY-MM-DD'),
            case t.source when 'results' then ${RESULTS_DAY_PRIORITY}::int else ${RACECARDS_DAY_PRIORITY}::int end,
            null::text[]
          )::graphile_worker.job_spec
          from todo t, params order by t.date, t.source
        ),
        job_key_preserve_run_at => true
      )
    )
    select (select count(*) from planned)::int as pairs,
           (select count(*) from jobs)::int as queued,
           (select count(*) from planned where done)::int as done,
           (select count(*) from checkpoint)::int as checkpoints`;
  return { pairs: row?.pairs ?? 0, queued: row?.queued ?? 0, done: row?.done ?? 0 };
}
