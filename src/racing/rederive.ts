// Re-derive rows from the archive: raw_responses -> the same mapping a fetch uses -> the same loaders, with
// no API call. A date of results or racecards is one transaction (dayRowsOfPages + loadDayRows, as in
// fetch-day.ts); stored /horses/{id}/pro answers are re-derived in chunks of horses (horseProRows, as in
// enrich.ts). Upserts make a re-run idempotent. fetch_state and the enrich queue are left as they are: a
// re-derive changes what rows say, not what has been fetched.
//
// Which pages make a date: the stored pages of the region set fetched last (request keys are
// 'source:date:regions:skip'), in skip order, up to the total page 0 announced (a later fetch with fewer
// pages leaves older, higher-skip pages behind; they are not part of the day any more).

import { z } from 'zod';
import type { Db, Sql } from '../db.ts';
import { horseProSchema } from '../racing-api/schemas.ts';
import { skipCommitFlush } from '../task-db.ts';
import { horseProRows } from './enrich.ts';
import { dayRowsOfPages, parseStoredPage } from './fetch-day.ts';
import { type DaySource, loadDayEntities, loadDayRows } from './load.ts';
import { isoDate, splitRegionSuffix } from './parse.ts';
import { ENRICH_PRIORITY, RACECARDS_DAY_PRIORITY, RESULTS_DAY_PRIORITY } from './queue.ts';
import type { Row } from './rows.ts';
import { HORSES, PEDIGREES } from './table-specs.ts';
import { upsertRows } from './upsert.ts';

export const REDERIVE_SOURCES = ['results', 'racecards', 'horses'] as const;
export type RederiveSource = (typeof REDERIVE_SOURCES)[number];

export const REDERIVE_TASK = {
  plan: 'rederive',
  day: 'rederive_day',
  horses: 'rederive_horses',
} as const;

/** Horses per rederive_horses job (one transaction each). */
export const HORSES_PER_JOB = 1000;

const dateString = z
  .string()
  .refine((s) => isoDate(s) === s, { message: 'must be a real date as YYYY-MM-DD' });

export const RederivePayload = z
  .object({
    source: z.enum(REDERIVE_SOURCES).optional(),
    start_date: dateString.optional(),
    end_date: dateString.optional(),
  })
  .strict()
  .refine((p) => !p.start_date || !p.end_date || p.end_date >= p.start_date, {
    message: 'end_date is before start_date',
    path: ['end_date'],
  });
export type RederivePayload = z.infer<typeof RederivePayload>;

export const RederiveDayPayload = z
  .object({ source: z.enum(['results', 'racecards']), date: dateString })
  .strict();
export type RederiveDayPayload = z.infer<typeof RederiveDayPayload>;

export const RederiveHorsesPayload = z
  .object({
    horse_ids: z
      .array(z.string().regex(/^hrs_\d+$/, { message: "must be a horse id like 'hrs_47475190'" }))
      .min(1),
  })
  .strict();

export interface RederiveQueued {
  results: number;
  racecards: number;
  /** Horses with a stored /horses/{id}/pro answer, and the jobs they were split into. */
  horses: number;
  horseJobs: number;
}

/**
 * Queue one rederive_day job per (source, date) with stored pages in the range, and rederive_horses jobs for
 * the stored horse answers (with a range: the horses that ran in it), each in one statement. Day jobs run
 * before horse jobs (priorities), as fetches run before enrichment.
 */
export async function queueRederive(db: Db, p: RederivePayload): Promise<RederiveQueued> {
  const sources = p.source ? [p.source] : REDERIVE_SOURCES;
  const start = p.start_date ?? '0001-01-01';
  const end = p.end_date ?? '9999-12-31';
  const out: RederiveQueued = { results: 0, racecards: 0, horses: 0, horseJobs: 0 };
  for (const source of sources) {
    if (source === 'horses') continue;
    const [row] = await db<{ n: number }[]>`
      select count(*)::int as n from graphile_worker.add_jobs(array(
        select row(${REDERIVE_TASK.day}::text,
                   json_build_object('source', ${source}::text, 'date', to_char(d.date, 'YYYY-MM-DD')),
                   null::text, null::timestamptz, 3::smallint,
                   'rederive:' || ${source}::text || ':' || to_char(d.date, 'YYYY-MM-DD'),
                   ${source === 'results' ? RESULTS_DAY_PRIORITY : RACECARDS_DAY_PRIORITY}::int,
                   null::text[])::graphile_worker.job_spec
        from (select distinct date from raw_responses
              where endpoint = ${source} and date between ${start}::date and ${end}::date) d
        order by d.date))`;
    out[source] = row?.n ?? 0;
  }
  if (sources.includes('horses')) {
    const ranged = p.start_date !== undefined || p.end_date !== undefined;
    const [row] = await db<{ horses: number; jobs: number }[]>`
      with stored as (
        select substring(request_key from '^horses:(hrs_[0-9]+):pro$') as id from raw_responses
        where endpoint = 'horses' and request_key ~ '^horses:hrs_[0-9]+:pro$'
      ),
      wanted as (
        select s.id, (row_number() over (order by s.id) - 1) / ${HORSES_PER_JOB}::int as chunk from stored s
        where not ${ranged}::boolean or exists (
          select from ra_mst_runners u join ra_mst_races r on r.id = u.race_id
          where u.horse_id = s.id and r.date between ${start}::date and ${end}::date)
      ),
      chunks as (
        select array_agg(id order by id) as ids from wanted group by chunk
      ),
      jobs as (
        select 1 from graphile_worker.add_jobs(array(
          select row(${REDERIVE_TASK.horses}::text, json_build_object('horse_ids', c.ids), null::text,
                     null::timestamptz, 3::smallint,
                     'rederive:horses:' || c.ids[1] || ':' || c.ids[cardinality(c.ids)],
                     ${ENRICH_PRIORITY}::int, null::text[])::graphile_worker.job_spec
          from chunks c order by c.ids[1]))
      )
      select (select count(*) from wanted)::int as horses, (select count(*) from jobs)::int as jobs`;
    out.horses = row?.horses ?? 0;
    out.horseJobs = row?.jobs ?? 0;
  }
  return out;
}

export interface RederiveDayOutcome {
  source: DaySource;
  date: string;
  /** 'done' = rows written (or an empty day); 'failed' = a stored page is invalid, nothing written. */
  status: 'done' | 'failed' | 'nothing_stored';
  pages: number;
  races: number;
  runners: number;
  error?: string;
}

interface StoredPage {
  regions: string;
  skip: number;
  status: number;
  body: string | null;
  valid: boolean;
  fetched_at: Date;
}

/** The pages that make the date: the region set stored last, in skip order (see the header). */
function currentPages(stored: readonly StoredPage[]): StoredPage[] {
  const latest = new Map<string, number>();
  for (const p of stored) latest.set(p.regions, Math.max(latest.get(p.regions) ?? 0, p.fetched_at.getTime()));
  const regions = [...latest.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
  return stored.filter((p) => p.regions === regions).sort((a, b) => a.skip - b.skip);
}

/** One date of one source from its stored pages, in one transaction. Zero API calls. */
export async function rederiveDay(db: Sql, source: DaySource, date: string): Promise<RederiveDayOutcome> {
  const outcome: RederiveDayOutcome = { source, date, status: 'done', pages: 0, races: 0, runners: 0 };
  const stored = await db<StoredPage[]>`
    select split_part(request_key, ':', 3) as regions, split_part(request_key, ':', 4)::int as skip,
           status, body, valid, fetched_at
    from raw_responses
    where endpoint = ${source} and date = ${date} and request_key ~ '^[a-z]+:[0-9-]+:[a-z,]*:[0-9]+$'`;
  if (stored.length === 0) return { ...outcome, status: 'nothing_stored' };
  const pages = [];
  let total = Number.POSITIVE_INFINITY;
  for (const p of currentPages(stored)) {
    if (p.skip >= total) break;
    if (!p.valid) return { ...outcome, status: 'failed', error: `stored page skip ${p.skip} is invalid` };
    // A 404 for page 0 is a stored empty day.
    if (p.status === 404 && p.skip === 0) break;
    const parsed = p.body === null ? null : parseStoredPage(source, p.body);
    if (!parsed?.ok) {
      const error = parsed ? parsed.error : 'no body';
      return { ...outcome, status: 'failed', error: `stored page skip ${p.skip}: ${error}` };
    }
    pages.push(parsed.page);
    total = parsed.page.total ?? total;
  }
  const rows = dayRowsOfPages(source, pages);
  outcome.pages = pages.length;
  outcome.races = new Set(rows.races.map((r) => r.id)).size;
  outcome.runners = rows.runners.length;
  // As a fetch writes them: the shared entities first, each statement committing by itself (load.ts).
  await loadDayEntities(db, rows);
  await db.begin(async (tx) => {
    await Promise.all([skipCommitFlush(tx), loadDayRows(tx, source, rows, { entities: false })]);
  });
  return outcome;
}

export interface RederiveHorsesOutcome {
  horses: number;
  enriched: number;
  notAvailable: number;
  /** Stored answers that are missing, invalid or no longer pass the schema: left untouched. */
  skipped: number;
}

/** Stored /horses/{id}/pro answers of these horses into ra_horses and ra_horse_pedigree, in one transaction. */
export async function rederiveHorses(db: Sql, horseIds: readonly string[]): Promise<RederiveHorsesOutcome> {
  const keys = horseIds.map((id) => `horses:${id}:pro`);
  const stored = await db<
    {
      id: string;
      status: number;
      body: string | null;
      valid: boolean;
      fetched_at: Date;
      region: string | null;
    }[]
  >`
    select substring(r.request_key from '^horses:(.*):pro$') as id, r.status, r.body, r.valid, r.fetched_at,
           h.region
    from raw_responses r left join ra_horses h on h.id = substring(r.request_key from '^horses:(.*):pro$')
    where r.endpoint = 'horses' and r.request_key = any(${keys}::text[])
    order by 1`;
  const horses: Row[] = [];
  const pedigrees: Row[] = [];
  const missing: Row[] = [];
  for (const s of stored) {
    const at = s.fetched_at.toISOString();
    if (s.valid && s.status === 404) {
      missing.push({ id: s.id, enrichment_status: 'not_available', enriched_at: at });
      continue;
    }
    if (!s.valid || s.status !== 200 || s.body === null) continue;
    let json: unknown;
    try {
      json = JSON.parse(s.body);
    } catch {
      continue;
    }
    const parsed = horseProSchema.safeParse(json);
    if (!parsed.success) continue;
    const rows = horseProRows(s.id, parsed.data, s.region ?? splitRegionSuffix(parsed.data.name).region, at);
    horses.push(rows.horse);
    pedigrees.push(rows.pedigree);
  }
  await db.begin(async (tx) => {
    await Promise.all([
      skipCommitFlush(tx),
      upsertRows(tx, HORSES, horses),
      upsertRows(tx, HORSES, missing),
      upsertRows(tx, PEDIGREES, pedigrees),
    ]);
  });
  return {
    horses: horseIds.length,
    enriched: horses.length,
    notAvailable: missing.length,
    skipped: horseIds.length - horses.length - missing.length,
  };
}

export function describeRederiveDay(o: RederiveDayOutcome): string {
  const detail = o.error ? `: ${o.error}` : `, ${o.pages} pages, ${o.races} races, ${o.runners} runners`;
  return `rederive ${o.source} ${o.date} ${o.status} (0 calls)${detail}`;
}
