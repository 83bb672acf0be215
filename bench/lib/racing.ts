// Racing API pieces shared by the ingest, rate-limit and scale benchmarks: the simulator, the worker's
// environment, queueing a backfill, prefetching result pages, and timing the kit's per-date write.
import { loadRacingApiConfig } from '../../src/config.ts';
import type { Sql } from '../../src/db.ts';
import { addDays } from '../../src/racing/dates.ts';
import { fetchResultsDay, pageRequestKey } from '../../src/racing/fetch-day.ts';
import { enqueueEnrichJobs } from '../../src/racing/queue.ts';
import { storeRawResponses } from '../../src/racing/raw.ts';
import { type Row, resultRows } from '../../src/racing/rows.ts';
import {
  BOOKMAKERS,
  COURSES,
  HORSES,
  JOCKEYS,
  OWNERS,
  PEDIGREES,
  RESULT_RACES,
  RUNNERS,
  type TableSpec,
  TRAINERS,
} from '../../src/racing/table-specs.ts';
import { upsertRows } from '../../src/racing/upsert.ts';
import { type ApiResult, createRacingApiClient, type RacingApiClient } from '../../src/racing-api/client.ts';
import type { ResultsPage } from '../../src/racing-api/schemas.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.ts';
import { skipCommitFlush } from '../../src/task-db.ts';
import { median } from './measure.ts';

// Throw-away credentials of the local simulator (it requires HTTP Basic like the real API).
const SIM_USER = 'bench';
const SIM_PASSWORD = 'bench-only-password';
export const REGIONS = ['gb', 'ire'];

/** The simulator's settings for a benchmark: the bench account, limited to ratePerSec when given. */
export function benchSimulatorOptions(ratePerSec?: number): SimulatorOptions {
  return { username: SIM_USER, password: SIM_PASSWORD, ...(ratePerSec ? { ratePerSec } : {}) };
}

export function startBenchSimulator(ratePerSec?: number): Promise<Simulator> {
  return startSimulator(benchSimulatorOptions(ratePerSec));
}

/** The environment of a kit worker process pointed at a bench database and the simulator. */
export function workerEnv(
  databaseUrl: string,
  sim: Pick<Simulator, 'url'>,
  ratePerSec: number,
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    RACING_API_BASE_URL: sim.url,
    RACING_API_USERNAME: SIM_USER,
    RACING_API_PASSWORD: SIM_PASSWORD,
    RACING_API_RATE_PER_SEC: String(ratePerSec),
  };
}

export function datesFrom(start: string, days: number): string[] {
  return Array.from({ length: days }, (_, i) => addDays(start, i));
}

/** Queues one backfill_dates job, as `npm run backfill` does; the worker then plans and runs the fetches. */
export async function queueBackfill(
  sql: Sql,
  p: { start: string; end: string; source: 'results' | 'racecards' | 'both' | 'auto'; enrich: boolean },
): Promise<void> {
  await sql`select graphile_worker.add_job('backfill_dates', ${sql.json({
    start_date: p.start,
    end_date: p.end,
    source: p.source,
    regions: REGIONS,
    enrich: p.enrich,
  })}::json)`;
}

export type PrefetchedPages = Map<string, ApiResult<ResultsPage>>;

const pageKey = (date: string, skip: number) => `${date}:${skip}`;

/** Every results page of the given dates, fetched through the kit's client (validated), kept in memory. */
export async function prefetchResults(
  sql: Sql,
  sim: Simulator,
  dates: readonly string[],
): Promise<PrefetchedPages> {
  const config = loadRacingApiConfig(workerEnv('', sim, 100));
  const client = createRacingApiClient({ config, sql });
  const pages: PrefetchedPages = new Map();
  for (const date of dates) {
    for (let skip = 0; ; ) {
      const res = await client.resultsPage({ date, regions: REGIONS, skip, limit: 50 });
      pages.set(pageKey(date, skip), res);
      if (!res.ok) break;
      const n = res.data.results.length;
      skip += n;
      if (n === 0 || skip >= (res.data.total ?? skip)) break;
    }
  }
  return pages;
}

/** A client that answers from prefetched pages: the fetch task's own code runs, without HTTP. */
export function prefetchedClient(pages: PrefetchedPages): RacingApiClient {
  const refuse = () => Promise.reject(new Error('not prefetched'));
  return {
    async resultsPage(q) {
      const page = pages.get(pageKey(q.date, q.skip));
      if (!page) throw new Error(`page ${q.date} skip ${q.skip} was not prefetched`);
      return page;
    },
    racecardsPage: refuse,
    horsePro: refuse,
    courses: refuse,
    regions: refuse,
  };
}

export interface DayLoadTiming {
  date: string;
  /** The whole library call: done-check, row mapping in Node, the write transaction. */
  ms: number;
  /** Its time in the database: the done-check and the transaction, BEGIN to COMMIT acknowledged. */
  dbMs: number;
  runners: number;
}

/**
 * The client seen by fetchResultsDay, timing what reaches the database: its top-level queries (the
 * done-check) from call to answer, and each begin() from BEGIN to the COMMIT's answer. Statement
 * building inside the transaction overlaps the statements already sent (pipelined), so it is counted;
 * the row mapping before BEGIN is Node's work and is not.
 */
function timedClient(sql: Sql, spent: { ms: number }): Sql {
  return new Proxy(sql, {
    apply(target, thisArg, args) {
      const started = performance.now();
      const query = Reflect.apply(target, thisArg, args) as unknown;
      // Only the query fetchResultsDay awaits (its done-check); anything else passes through untouched.
      if (query instanceof Promise) {
        const stop = () => {
          spent.ms += performance.now() - started;
        };
        query.then(stop, stop);
      }
      return query;
    },
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== 'begin' || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await value.apply(target, args);
        } finally {
          spent.ms += performance.now() - started;
        }
      };
    },
  });
}

/**
 * Database time per date: fetchResultsDay (the task's library call) on prefetched pages, so the time
 * is the done-check plus the one write transaction (raw pages, entities, races, runners, checkpoint,
 * enrich jobs), with and without the row mapping in Node between them.
 */
export async function timeDayLoads(
  sql: Sql,
  pages: PrefetchedPages,
  dates: readonly string[],
  enrich: boolean,
): Promise<DayLoadTiming[]> {
  const client = prefetchedClient(pages);
  const timings: DayLoadTiming[] = [];
  for (const date of dates) {
    const spent = { ms: 0 };
    const started = performance.now();
    const o = await fetchResultsDay(timedClient(sql, spent), client, {
      date,
      regions: REGIONS,
      enrich,
      force: false,
    });
    const ms = performance.now() - started;
    if (o.status !== 'done') throw new Error(`results ${date}: ${o.status} ${o.error ?? ''}`);
    timings.push({ date, ms, dbMs: spent.ms, runners: o.runners });
  }
  return timings;
}

/**
 * Where the per-date write time goes: the same steps as fetchResultsDay's transaction (raw pages, each
 * table's upsert, checkpoint, enrich jobs), each timed, on prefetched pages of dates not loaded yet.
 * Returns the median time of each step over the dates, in ms.
 */
export async function breakdownDayLoads(
  sql: Sql,
  pages: PrefetchedPages,
  dates: readonly string[],
): Promise<{ step: string; medianMs: number; rows: number }[]> {
  const steps = new Map<string, { ms: number[]; rows: number[] }>();
  const record = (step: string, ms: number, rows: number) => {
    const s = steps.get(step) ?? { ms: [], rows: [] };
    s.ms.push(ms);
    s.rows.push(rows);
    steps.set(step, s);
  };
  const time = async (step: string, rows: number, fn: () => Promise<unknown>) => {
    const started = performance.now();
    await fn();
    record(step, performance.now() - started, rows);
  };
  for (const date of dates) {
    const page = pages.get(pageKey(date, 0));
    if (!page?.ok) continue;
    const items = page.data.results;
    const rows = resultRows(items as unknown as Parameters<typeof resultRows>[0]);
    const started = performance.now();
    await sql.begin(async (tx) => {
      await skipCommitFlush(tx);
      await time('raw_responses (page text)', 1, () =>
        storeRawResponses(tx, [
          {
            endpoint: 'results',
            requestKey: pageRequestKey('results', date, REGIONS, 0),
            date,
            page: 0,
            status: page.status,
            body: page.bodyText,
            valid: true,
          },
        ]),
      );
      const specs: [string, TableSpec, readonly Row[]][] = [
        ['courses', COURSES, rows.courses],
        ['jockeys', JOCKEYS, rows.jockeys],
        ['trainers', TRAINERS, rows.trainers],
        ['owners', OWNERS, rows.owners],
        ['horses', HORSES, rows.horses],
        ['pedigrees', PEDIGREES, rows.pedigrees],
        ['races', RESULT_RACES, rows.races],
        ['runners', RUNNERS, rows.runners],
        ['bookmakers', BOOKMAKERS, rows.bookmakers],
      ];
      for (const [name, spec, r] of specs) await time(name, r.length, () => upsertRows(tx, spec, r));
      await time(
        'fetch_state checkpoint',
        1,
        () => tx`
        insert into fetch_state (source, date, status, regions, pages, finished_at)
        values ('results', ${date}, 'done', ${REGIONS}::text[], 1, now())
        on conflict (source, date) do update set status = 'done', finished_at = now()`,
      );
      const horseIds = [...new Set(rows.horses.map((h) => String(h.id)))];
      await time('enrich jobs (add_jobs)', horseIds.length, () => enqueueEnrichJobs(tx, horseIds));
    });
    record('whole transaction (incl. commit)', performance.now() - started, rows.runners.length);
  }
  return [...steps.entries()].map(([step, s]) => ({
    step,
    medianMs: median(s.ms),
    rows: Math.round(median(s.rows)),
  }));
}
