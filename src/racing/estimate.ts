// The plan before a backfill (`npm run backfill -- --dry-run`): which (source, date) pairs would be fetched,
// the API calls they need by endpoint, the hours those calls take at the configured budgets and the storage
// they add. Read-only: nothing is queued or written.
//
// Pages per date come from the database when it has fetched enough dates of the source, else from the API's
// known daily volume. Horses to enrich by call come from a model of the population (below), less the horses
// of the range already enriched. A horse seen on a pro racecard (from 2023-01-23) gets its profile from the
// racecard, so with racecards in the plan only horses that ran before that date and never after it in the
// range cost a /horses/{id}/pro call.

import { accountsOf, type Endpoint, type RacingApiConfig } from '../config.ts';
import type { Db } from '../db.ts';
import { bucketFor, bucketLimits } from '../rate-limit.ts';
import { addDays } from './dates.ts';
import type { BackfillPlan } from './plan.ts';
import { hasResults, inRacecardWindow, isFinal, RACECARDS_FIRST_DATE } from './rules.ts';

/**
 * The API's daily volume (The Racing API reference §10: 34-37 GB+IRE races a day, ~9.7 runners a race,
 * 1,327,279 runners 2015-2025). Results pages hold 50 races: one page a date, a second on the busiest days;
 * racecard pages hold 500, so always one.
 */
export const API_DAILY = {
  resultsPagesPerDate: 1.05,
  racecardsPagesPerDate: 1,
  runnersPerDate: 330,
} as const;

/**
 * Distinct horses over a range of `days` racing dates: ACTIVE horses in training at any time, each running
 * about every TURNOVER_DAYS, plus NEW_PER_DAY first-time runners: ACTIVE·(1 − e^(−days/TURNOVER)) + NEW·days.
 * Fitted to 111,692 horses over 2015-2025 (reference §10) of which 39.7% ran on or after 2023-01-23 (the
 * kit's calibrated simulated population, src/simulator/population.ts); TURNOVER makes the first days count
 * every runner as a new horse (ACTIVE / TURNOVER + NEW = runners per date).
 */
export const HORSE_MODEL = { active: 19_800, newPerDay: 22.9, turnoverDays: 64 } as const;

export function distinctHorses(days: number): number {
  if (days <= 0) return 0;
  const m = HORSE_MODEL;
  return m.active * (1 - Math.exp(-days / m.turnoverDays)) + m.newPerDay * days;
}

/**
 * Storage per unit when the database holds too little to measure it: measured on 20 simulated dates of
 * results and racecards (raw bodies as stored, lz4; rows of every racing table with their indexes, racecard
 * odds included, per runner: an upper bound, since entity tables grow slower than runners over long ranges).
 */
export const STORAGE_DEFAULTS = {
  resultsPageBytes: 85_000,
  racecardsPageBytes: 300_000,
  horseAnswerBytes: 500,
  rowBytesPerRunner: 3_000,
} as const;

export type EstimatedEndpoint = Extract<Endpoint, 'results' | 'racecards' | 'horses'>;
export type Calls = Record<EstimatedEndpoint, number>;

export interface SourceDates {
  /** Dates of the range this source serves. */
  dates: number;
  /** Of them, already done (skipped unless force). */
  done: number;
  /** Dates that would be fetched. */
  todo: number;
  first?: string;
  last?: string;
  /** Pages expected per fetched date, and where the figure comes from. */
  pagesPerDate: number;
  pagesFrom: string;
}

export interface BucketHours {
  bucket: string;
  endpoints: EstimatedEndpoint[];
  calls: number;
  /** Requests per second of the bucket over every account, after the kit's safety margin. */
  ratePerSec: number;
  hours: number;
}

export interface BackfillEstimate {
  results: SourceDates;
  racecards: SourceDates;
  calls: Calls;
  horses: { model: number; alreadyEnriched: number; fromRacecards: boolean };
  buckets: BucketHours[];
  /** The buckets one after the other: day fetches run before enrichment (job priorities). */
  hours: number;
  storage: { rawBytes: number; rowBytes: number; from: string };
}

/** The hours `calls` take at a config's budgets: each bucket's calls at its pace, the buckets in turn. */
export function projectHours(
  calls: Calls,
  config: RacingApiConfig,
): { buckets: BucketHours[]; hours: number } {
  const buckets = new Map<string, BucketHours>();
  for (const account of accountsOf(config)) {
    const own = { ...config, ratePerSec: account.ratePerSec, endpointRates: account.endpointRates };
    const counted = new Set<string>();
    for (const endpoint of Object.keys(calls) as EstimatedEndpoint[]) {
      const bucket = bucketFor(own, endpoint);
      const b = buckets.get(bucket.key) ?? {
        bucket: bucket.key,
        endpoints: [],
        calls: 0,
        ratePerSec: 0,
        hours: 0,
      };
      buckets.set(bucket.key, b);
      if (!b.endpoints.includes(endpoint)) {
        b.endpoints.push(endpoint);
        b.calls += calls[endpoint];
      }
      // Every account adds its own bucket's pace, once (accounts share the work).
      if (!counted.has(bucket.key)) b.ratePerSec += 1000 / bucketLimits(bucket).intervalMs;
      counted.add(bucket.key);
    }
  }
  for (const b of buckets.values()) b.hours = b.calls / b.ratePerSec / 3600;
  const list = [...buckets.values()];
  return { buckets: list, hours: list.reduce((s, b) => s + b.hours, 0) };
}

function datesOf(start: string, end: string, keep: (d: string) => boolean): string[] {
  const out: string[] = [];
  for (let d = start; d <= end; d = addDays(d, 1)) if (keep(d)) out.push(d);
  return out;
}

async function sourceDates(
  db: Db,
  source: 'results' | 'racecards',
  dates: string[],
  p: BackfillPlan,
): Promise<SourceDates & { todoDates: string[] }> {
  const first = dates[0];
  const last = dates[dates.length - 1];
  const done = new Set<string>();
  let knownPages = 0;
  let knownDates = 0;
  if (first && last) {
    const rows = await db<{ date: string; done: boolean; pages: number | null }[]>`
      select date::text as date, pages,
             status = 'done' and coalesce(regions @> ${p.regions as string[]}::text[], false) as done
      from fetch_state where source = ${source} and date between ${first}::date and ${last}::date`;
    for (const r of rows) if (r.done && isFinal(r.date, p.today)) done.add(r.date);
  }
  const [avg] = await db<{ n: number; pages: number | null }[]>`
    select count(*)::int as n, avg(pages)::float8 as pages from fetch_state
    where source = ${source} and status = 'done' and pages > 0`;
  if (avg && avg.n >= 30 && avg.pages !== null) {
    knownDates = avg.n;
    knownPages = avg.pages;
  }
  const todoDates = p.force ? dates : dates.filter((d) => !done.has(d));
  const fallback = source === 'results' ? API_DAILY.resultsPagesPerDate : API_DAILY.racecardsPagesPerDate;
  return {
    dates: dates.length,
    done: p.force ? 0 : done.size,
    todo: todoDates.length,
    ...(first ? { first } : {}),
    ...(last ? { last } : {}),
    pagesPerDate: knownDates > 0 ? knownPages : fallback,
    pagesFrom: knownDates > 0 ? `this database (${knownDates} dates)` : "the API's daily averages",
    todoDates,
  };
}

async function storagePerUnit(db: Db) {
  const [m] = await db<
    {
      runners: number;
      row_bytes: number;
      results_page: number | null;
      racecards_page: number | null;
      horse: number | null;
    }[]
  >`
    select (select count(*) from ra_mst_runners)::int as runners,
           (select sum(pg_total_relation_size(c.oid)) from pg_class c
            where c.relname in ('ra_mst_runners', 'ra_mst_races', 'ra_horses', 'ra_horse_pedigree', 'ra_jockeys',
                                'ra_trainers', 'ra_owners', 'ra_courses', 'ra_bookmakers') and c.relkind = 'r')::float8 as row_bytes,
           (select avg(pg_column_size(body)) + 200 from raw_responses where endpoint = 'results')::float8 as results_page,
           (select avg(pg_column_size(body)) + 200 from raw_responses where endpoint = 'racecards')::float8 as racecards_page,
           (select avg(pg_column_size(body)) + 200 from raw_responses where endpoint = 'horses')::float8 as horse`;
  const d = STORAGE_DEFAULTS;
  if (!m || m.runners < 10_000) return { ...d, from: 'simulated-page averages' };
  return {
    resultsPageBytes: m.results_page ?? d.resultsPageBytes,
    racecardsPageBytes: m.racecards_page ?? d.racecardsPageBytes,
    horseAnswerBytes: m.horse ?? d.horseAnswerBytes,
    rowBytesPerRunner: m.row_bytes / m.runners,
    from: `this database (${m.runners} runners)`,
  };
}

/** The dry run of a backfill_dates payload. */
export async function estimateBackfill(
  db: Db,
  p: BackfillPlan,
  config: RacingApiConfig,
): Promise<BackfillEstimate> {
  const resultsDates = datesOf(
    p.startDate,
    p.endDate,
    (d) =>
      ((p.source === 'results' || p.source === 'both') && hasResults(d, p.today)) ||
      (p.source === 'auto' && d < p.today),
  );
  const racecardDates = datesOf(
    p.startDate,
    p.endDate,
    (d) => p.source !== 'results' && inRacecardWindow(d, p.today),
  );
  const results = await sourceDates(db, 'results', resultsDates, p);
  const racecards = await sourceDates(db, 'racecards', racecardDates, p);

  // Horses: racecard dates give their horses' profiles; results dates before them cost a call per horse
  // that ran only there. Without racecards in the plan, every horse of the results dates does.
  const fromRacecards = racecards.todo > 0;
  const racecardDays = racecards.todo;
  const resultsOnlyDays = fromRacecards
    ? results.todoDates.filter((d) => d < RACECARDS_FIRST_DATE).length
    : results.todo;
  const model = p.enrich
    ? Math.round(
        distinctHorses(resultsOnlyDays + racecardDays) - distinctHorses(fromRacecards ? racecardDays : 0),
      )
    : 0;
  const [enriched] = await db<{ n: number }[]>`
    select count(distinct u.horse_id)::int as n
    from ra_mst_runners u join ra_mst_races r on r.id = u.race_id join ra_horses h on h.id = u.horse_id
    where r.date between ${p.startDate}::date and ${p.endDate}::date and h.enrichment_status is not null`;
  const alreadyEnriched = p.enrich ? (enriched?.n ?? 0) : 0;
  const calls: Calls = {
    results: Math.round(results.todo * results.pagesPerDate),
    racecards: Math.round(racecards.todo * racecards.pagesPerDate),
    horses: Math.max(0, model - alreadyEnriched),
  };
  const { buckets, hours } = projectHours(calls, config);
  const unit = await storagePerUnit(db);
  const newRunners = results.todo * API_DAILY.runnersPerDate;
  return {
    results: strip(results),
    racecards: strip(racecards),
    calls,
    horses: { model, alreadyEnriched, fromRacecards },
    buckets,
    hours,
    storage: {
      rawBytes:
        calls.results * unit.resultsPageBytes +
        calls.racecards * unit.racecardsPageBytes +
        calls.horses * unit.horseAnswerBytes,
      rowBytes: newRunners * unit.rowBytesPerRunner,
      from: unit.from,
    },
  };
}

function strip(s: SourceDates & { todoDates: string[] }): SourceDates {
  const { todoDates: _, ...rest } = s;
  return rest;
}

const int = (n: number) => Math.round(n).toLocaleString('en-GB');
const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

/** The dry run as printed by `npm run backfill -- --dry-run`. */
export function describeEstimate(e: BackfillEstimate): string[] {
  const dates = (name: string, s: SourceDates) =>
    `  ${name.padEnd(10)} ${int(s.dates)} dates${s.first ? ` (${s.first}..${s.last})` : ''}, ${int(s.done)} done, ` +
    `${int(s.todo)} to fetch at ${s.pagesPerDate.toFixed(2)} pages a date (from ${s.pagesFrom})`;
  const total = e.calls.results + e.calls.racecards + e.calls.horses;
  return [
    'dates',
    dates('results', e.results),
    dates('racecards', e.racecards),
    'calls',
    `  /v1/results          ${int(e.calls.results)}`,
    `  /v1/racecards/pro    ${int(e.calls.racecards)}`,
    `  /v1/horses/{id}/pro  ${int(e.calls.horses)}  (${int(e.horses.model)} horses expected to need a call` +
      `${e.horses.fromRacecards ? ': racecard horses from 2023-01-23 come with their profile' : ''}` +
      `, less ${int(e.horses.alreadyEnriched)} of the range already enriched)`,
    `  total                ${int(total)}`,
    'hours at the configured budgets (RACING_API_RATE_PER_SEC and per-endpoint rates, every account)',
    ...e.buckets.map(
      (b) =>
        `  ${b.bucket.padEnd(20)} ${b.endpoints.join('+').padEnd(24)} ${int(b.calls)} calls at ${b.ratePerSec.toFixed(2)}/s = ${b.hours.toFixed(1)} h`,
    ),
    `  total                ${e.hours.toFixed(1)} h (day fetches first, then enrichment)`,
    `storage (from ${e.storage.from})`,
    `  raw responses ${gb(e.storage.rawBytes)}, rows ${gb(e.storage.rowBytes)}, total ${gb(e.storage.rawBytes + e.storage.rowBytes)}`,
    'dry run: nothing was queued',
  ];
}
