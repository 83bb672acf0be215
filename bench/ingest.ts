// Ingest: the full pipeline (simulator without a rate limit -> the kit's worker process running
// backfill_dates and fetch_results_day with several jobs at once -> HTTP, JSON, zod, row mapping, bulk
// upserts, checkpoint) over N days, beside this database's ceiling for the same runner rows (COPY into a
// temporary table + INSERT … ON CONFLICT). Then the database time per date page, measured by running the
// task's library call (fetchResultsDay) on prefetched pages. Targets (issue 5): >= 60% of the ceiling;
// database time per date <= 25 ms (5% of the 500 ms request slot at 2 requests/s).
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { addDays } from '../src/racing/dates.ts';
import { type Benchmark, positiveInt } from './lib/benchmark.ts';
import { copyCeiling } from './lib/ceiling.ts';
import { createBenchDatabase } from './lib/db.ts';
import { median, postgresCpuMs, procCpuMs, quantile } from './lib/measure.ts';
import {
  breakdownDayLoads,
  datesFrom,
  prefetchResults,
  queueBackfill,
  startBenchSimulator,
  timeDayLoads,
  workerEnv,
} from './lib/racing.ts';
import {
  type Check,
  fmtInt,
  fmtMb,
  fmtMs,
  fmtPct,
  fmtRate,
  fmtS,
  printChecks,
  printMachine,
  printRatio,
  printTable,
} from './lib/report.ts';
import { spawnWorker } from './lib/worker-process.ts';

interface IngestOptions {
  days: number;
  start: string;
  concurrency: number;
  rate: number;
  dbDates: number;
}

const DB_TIME_BUDGET_MS = 25;

async function run(o: IngestOptions): Promise<boolean> {
  printMachine();
  const sim = await startBenchSimulator();
  const db = await createBenchDatabase('ingest');
  try {
    const dates = datesFrom(o.start, o.days);
    const end = dates[dates.length - 1]!;
    await queueBackfill(db.sql, { start: o.start, end, source: 'results', enrich: false });
    sim.resetStats();
    // This process mostly serves the simulator during the run: its CPU time is the API's share of the machine.
    const cpuBefore = process.cpuUsage();
    const pgCpuBefore = postgresCpuMs();
    const workerCpuBefore = procCpuMs('self').children;
    const worker = spawnWorker(
      ['--once', '--concurrency', String(o.concurrency)],
      workerEnv(db.url, sim, o.rate),
    );
    const exit = await worker.done;
    if (exit.code !== 0)
      throw new Error(`worker exited with ${exit.code}: ${exit.output.trim().split('\n').pop()}`);
    const cpu = process.cpuUsage(cpuBefore);
    const simCpuMs = (cpu.user + cpu.system) / 1000;
    // The worker has exited and been waited for: its CPU time is now in this process's children's time.
    const workerCpuMs = procCpuMs('self').children - workerCpuBefore;
    const pgCpuAfter = postgresCpuMs();
    const pgCpuMs =
      pgCpuBefore === undefined || pgCpuAfter === undefined ? Number.NaN : pgCpuAfter - pgCpuBefore;
    const stats = sim.stats();
    const [state] = await db.sql<
      { done: number; pages: number; last: number; races: number; runners: number }[]
    >`
      select count(*) filter (where status = 'done')::int as done, sum(pages)::int as pages,
             extract(epoch from max(finished_at))::float8 * 1000 as last,
             (select count(*) from ra_mst_races)::int as races, (select count(*) from ra_mst_runners)::int as runners
      from fetch_state where source = 'results'`;
    if (!state || state.done !== o.days) throw new Error(`${state?.done ?? 0} of ${o.days} dates done`);
    // The pipeline's window: first request received by the API .. last date committed (same clock).
    const first = stats.arrivals[0] ?? Number.NaN;
    const pipelineMs = state.last - first;
    const pipelineRate = state.runners / (pipelineMs / 1000);

    const pgCeilingBefore = postgresCpuMs() ?? Number.NaN;
    const ceiling = await copyCeiling(db.sql);
    const ceilingPgCpuMs = (postgresCpuMs() ?? Number.NaN) - pgCeilingBefore;
    const ceilingRate = ceiling.rows / (ceiling.ms / 1000);

    // Database time per date, on dates before the benchmarked range (new races and runners, entities
    // mostly known: the steady state of a backfill), with enrich on (the tasks' default).
    const dbDates = datesFrom(addDays(o.start, -o.dbDates), o.dbDates);
    const stepDates = datesFrom(addDays(o.start, -2 * o.dbDates), o.dbDates);
    const pages = await prefetchResults(db.sql, sim, [...dbDates, ...stepDates]);
    const timings = await timeDayLoads(db.sql, pages, dbDates, true);
    const steps = await breakdownDayLoads(db.sql, pages, stepDates);
    const perDate = timings.map((t) => t.dbMs);
    const dbMedian = median(perDate);
    const dbP95 = quantile(perDate, 0.95);
    const callMedian = median(timings.map((t) => t.ms));
    const runnersPerDate = timings.reduce((s, t) => s + t.runners, 0) / timings.length;

    printTable(
      `Ingest of ${o.days} days of results (${o.start}..${end}): ${fmtInt(state.races)} races, ${fmtInt(state.runners)} runners`,
      ['way', 'time', 'runners/s', 'note'],
      [
        [
          `kit pipeline (worker process, concurrency ${o.concurrency})`,
          fmtS(pipelineMs),
          fmtRate(pipelineRate, 'runner'),
          `${stats.total} API requests (${state.pages} pages), kit limiter at ${o.rate}/s, worker peak RSS ${fmtMb(exit.peakRss)}, simulator CPU ${fmtS(simCpuMs)}`,
        ],
        [
          'ceiling: COPY to temp table + INSERT … ON CONFLICT',
          fmtS(ceiling.ms),
          fmtRate(ceilingRate, 'runner'),
          `one transaction; COPY part ${fmtS(ceiling.copyMs)}`,
        ],
      ],
    );
    printTable(
      `Database time per date page (fetchResultsDay on prefetched pages, ${o.dbDates} dates, ~${Math.round(runnersPerDate)} runners each)`,
      ['median', 'p95', 'max', 'budget', 'whole call (median)'],
      [
        [
          fmtMs(dbMedian),
          fmtMs(dbP95),
          fmtMs(Math.max(...perDate)),
          `${DB_TIME_BUDGET_MS} ms (5% of 500 ms)`,
          `${fmtMs(callMedian)} with the row mapping in Node`,
        ],
      ],
    );
    // What the ceiling itself needs for one date's runners (no entities, races, raw page or checkpoint).
    console.log(
      `ceiling time for one date's ~${Math.round(runnersPerDate)} runners alone: ` +
        `${fmtMs((runnersPerDate / ceilingRate) * 1000)} at ${fmtRate(ceilingRate, 'runner')}`,
    );
    printTable(
      `Where the per-date write goes (same steps as the task's transaction, median over ${o.dbDates} other dates)`,
      ['step', 'rows', 'median'],
      steps.map((s) => [s.step, s.rows, fmtMs(s.medianMs)]),
    );
    // Where the machine's cores went during the pipeline, per date: the share of the ceiling the pipeline
    // could reach if every core of the machine did nothing else (its CPU work per date is what bounds it).
    const cores = availableParallelism();
    const cpuPerDate = (ms: number) => ms / o.days;
    const pipelineCpuPerDate = cpuPerDate(pgCpuMs + workerCpuMs + simCpuMs);
    const ceilingCpuPerDate = (ceilingPgCpuMs / ceiling.rows) * (state.runners / o.days);
    const bound = ((cores * 1000) / pipelineCpuPerDate) * (state.runners / o.days);
    printTable(
      `CPU time per date during the pipeline (${cores} cores; PostgreSQL = every postgres process of the server)`,
      [
        'PostgreSQL',
        'worker process',
        'simulator',
        'all',
        'ceiling (PostgreSQL, same runners)',
        'pipeline bound',
      ],
      [
        [
          fmtMs(cpuPerDate(pgCpuMs)),
          fmtMs(cpuPerDate(workerCpuMs)),
          fmtMs(cpuPerDate(simCpuMs)),
          fmtMs(pipelineCpuPerDate),
          fmtMs(ceilingCpuPerDate),
          `${fmtRate(bound, 'runner')} = ${fmtPct(bound / ceilingRate)} of the ceiling with ${cores} cores fully busy`,
        ],
      ],
    );
    const share = pipelineRate / ceilingRate;
    const checks: Check[] = [
      {
        target: 'database time per date (median) <= 25 ms',
        measured: `${fmtMs(dbMedian)} (p95 ${fmtMs(dbP95)})`,
        ok: dbMedian <= DB_TIME_BUDGET_MS,
      },
      {
        target: 'pipeline >= 60% of the COPY ceiling',
        measured: fmtPct(share),
        ok: share >= 0.6,
      },
    ];
    const ok = printChecks(checks);
    printRatio(
      `ingest: kit ${fmtRate(pipelineRate, 'runner')} = ${fmtPct(share)} of the COPY ceiling ${fmtRate(ceilingRate, 'runner')} (target >= 60%)`,
    );
    return ok;
  } finally {
    await sim.close();
    await db.drop();
  }
}

export const ingest: Benchmark = {
  name: 'ingest',
  description: 'full results pipeline via the worker vs COPY + INSERT … ON CONFLICT of the same runners',
  options: (cmd: Command) =>
    cmd
      .option('--days <n>', 'days of results to ingest (365 = one year, ~125,000 runners)', positiveInt, 30)
      .option('--start <date>', 'first date (YYYY-MM-DD, in the past)', '2025-01-01')
      .option('--concurrency <n>', 'jobs at once in the worker process', positiveInt, 4)
      .option('--rate <n>', "the kit's RACING_API_RATE_PER_SEC (100 is its maximum)", positiveInt, 100)
      .option('--db-dates <n>', 'dates for the database-time-per-date measurement', positiveInt, 20),
  run: (opts) => run(opts as unknown as IngestOptions),
};
