// Scale: (1) queueing 2015-01-01..2025-12-31 (results and racecards) through the backfill_dates task;
// (2) the worker process's memory through a long results run; (3) the per-date write time with an empty
// history beside a large one (runners seeded set-based), measured on the same dates in two databases,
// alternating between them so that machine noise hits both alike.
// Targets (issue 5): queueing < 2 s; worker peak RSS < 250 MB; time per date flat as the tables grow.
import type { Command } from 'commander';
import { run as runGraphileWorker } from 'graphile-worker';
import { holdTaskDatabase, withTaskDatabase } from '../src/task-db.ts';
import { quietWorkerLogger } from '../src/worker-logger.ts';
import { taskList } from '../tasks/index.ts';
import { type Benchmark, positiveInt } from './lib/benchmark.ts';
import { createBenchDatabase } from './lib/db.ts';
import { median, quantile } from './lib/measure.ts';
import {
  type DayLoadTiming,
  datesFrom,
  prefetchResults,
  queueBackfill,
  startBenchSimulator,
  timeDayLoads,
  workerEnv,
} from './lib/racing.ts';
import { seedRunnerHistory } from './lib/racing-seed.ts';
import {
  type Check,
  fmtInt,
  fmtMb,
  fmtMs,
  fmtS,
  printChecks,
  printMachine,
  printRatio,
  printTable,
} from './lib/report.ts';
import { spawnWorker } from './lib/worker-process.ts';

interface ScaleOptions {
  days: number;
  seedRunners: number;
  dates: number;
  warmDates: number;
}

const QUEUE_RANGE = { start: '2015-01-01', end: '2025-12-31' };

/** Times backfill_dates for 2015..2025: add_job -> the job's success, with a worker that runs only that task. */
async function timeQueueing(): Promise<{ taskMs: number; endToEndMs: number; jobs: number }> {
  const db = await createBenchDatabase('scale_queue');
  const release = holdTaskDatabase(db.url);
  const runner = await runGraphileWorker({
    connectionString: db.url,
    concurrency: 1,
    noHandleSignals: true,
    logger: quietWorkerLogger,
    // Only backfill_dates (bound to this database, as src/worker.ts binds every task): the fetch jobs it
    // queues stay in the queue to be counted.
    taskList: {
      backfill_dates: (payload, helpers) =>
        withTaskDatabase(db.url, () => taskList.backfill_dates!(payload, helpers)),
    },
  });
  try {
    let startedAt = 0;
    const finished = new Promise<number>((resolve, reject) => {
      runner.events.on('job:start', () => {
        startedAt = performance.now();
      });
      runner.events.on('job:success', () => resolve(performance.now()));
      runner.events.on('job:error', ({ error }) => reject(error));
    });
    const queuedAt = performance.now();
    await queueBackfill(db.sql, { ...QUEUE_RANGE, source: 'both', enrich: true });
    const doneAt = await finished;
    const [row] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from graphile_worker.jobs where task_identifier in ('fetch_results_day', 'fetch_racecards_day')`;
    return { taskMs: doneAt - startedAt, endToEndMs: doneAt - queuedAt, jobs: row?.n ?? 0 };
  } finally {
    await runner.stop();
    await release();
    await db.drop();
  }
}

/** A results run of `days` days by `node src/cli/worker.ts --once --concurrency 4`, its peak RSS sampled. */
async function workerMemory(days: number): Promise<{ peakRss: number; runners: number; ms: number }> {
  const sim = await startBenchSimulator();
  const db = await createBenchDatabase('scale_memory');
  try {
    const dates = datesFrom('2024-01-01', days);
    await queueBackfill(db.sql, {
      start: dates[0]!,
      end: dates[dates.length - 1]!,
      source: 'results',
      enrich: false,
    });
    const started = performance.now();
    const worker = spawnWorker(['--once', '--concurrency', '4'], workerEnv(db.url, sim, 100));
    const exit = await worker.done;
    const ms = performance.now() - started;
    if (exit.code !== 0)
      throw new Error(`worker exited with ${exit.code}: ${exit.output.trim().split('\n').pop()}`);
    const [row] = await db.sql<{ runners: number; done: number }[]>`
      select (select count(*) from ra_mst_runners)::int as runners,
             (select count(*) from fetch_state where status = 'done')::int as done`;
    if (row?.done !== days) throw new Error(`${row?.done ?? 0} of ${days} dates done`);
    console.log(`  worker: ${exit.output.trim().split('\n').pop()}`);
    return { peakRss: exit.peakRss, runners: row.runners, ms };
  } finally {
    await sim.close();
    await db.drop();
  }
}

/** Per-date write time with an empty history (A) and with seedRunners stored runners (B). */
async function perDateGrowth(o: ScaleOptions) {
  const sim = await startBenchSimulator();
  const small = await createBenchDatabase('scale_empty');
  const big = await createBenchDatabase('scale_big');
  try {
    const seedStarted = performance.now();
    await seedRunnerHistory(big.sql, o.seedRunners);
    const seedMs = performance.now() - seedStarted;
    const warm = datesFrom('2023-03-01', o.warmDates);
    const measured = datesFrom('2023-06-01', o.dates);
    const pages = await prefetchResults(small.sql, sim, [...warm, ...measured]);
    // Both databases first load the same warm-up dates: the racing entities are then equally known.
    await timeDayLoads(small.sql, pages, warm, true);
    await timeDayLoads(big.sql, pages, warm, true);
    const a: DayLoadTiming[] = [];
    const b: DayLoadTiming[] = [];
    for (const [i, date] of measured.entries()) {
      const order = i % 2 === 0 ? [small, big] : [big, small];
      for (const db of order) {
        const [t] = await timeDayLoads(db.sql, pages, [date], true);
        (db === small ? a : b).push(t!);
      }
    }
    const [counts] = await big.sql<
      { runners: number }[]
    >`select count(*)::int as runners from ra_mst_runners`;
    return { a, b, seedMs, bigRunners: counts?.runners ?? 0 };
  } finally {
    await sim.close();
    await small.drop();
    await big.drop();
  }
}

async function run(o: ScaleOptions): Promise<boolean> {
  printMachine();
  const queue = await timeQueueing();
  printTable(
    `Queueing ${QUEUE_RANGE.start}..${QUEUE_RANGE.end} (results + racecards) via backfill_dates`,
    ['fetch jobs queued', 'task time (job start..success)', 'add_job..success'],
    [[fmtInt(queue.jobs), fmtS(queue.taskMs), fmtS(queue.endToEndMs)]],
  );
  const memory = await workerMemory(o.days);
  printTable(
    `Worker process through ${o.days} days of results (node src/cli/worker.ts --once --concurrency 4)`,
    ['runners', 'time', 'peak RSS'],
    [[fmtInt(memory.runners), fmtS(memory.ms), fmtMb(memory.peakRss)]],
  );
  const growth = await perDateGrowth(o);
  const aMs = growth.a.map((t) => t.dbMs);
  const bMs = growth.b.map((t) => t.dbMs);
  const ratio = median(bMs) / median(aMs);
  printTable(
    `Database time per date (fetchResultsDay on prefetched pages, ${o.dates} dates, alternating databases)`,
    ['runners already stored', 'median', 'p95'],
    [
      [`~${fmtInt(o.warmDates * 300)} (warm-up dates only)`, fmtMs(median(aMs)), fmtMs(quantile(aMs, 0.95))],
      [
        `${fmtInt(growth.bigRunners)} (seeded in ${fmtS(growth.seedMs)})`,
        fmtMs(median(bMs)),
        fmtMs(quantile(bMs, 0.95)),
      ],
    ],
  );
  const checks: Check[] = [
    {
      target: 'queueing 2015..2025 via backfill_dates < 2 s',
      measured: `${fmtS(queue.endToEndMs)} (${fmtInt(queue.jobs)} jobs)`,
      ok: queue.endToEndMs < 2000,
    },
    {
      target: `worker peak RSS < 250 MB (${o.days}-day run)`,
      measured: fmtMb(memory.peakRss),
      ok: memory.peakRss < 250 * 1024 * 1024,
    },
    {
      target: 'time per date flat (median with history <= 1.25 x empty)',
      measured: `x${ratio.toFixed(2)}`,
      ok: ratio <= 1.25,
    },
  ];
  const ok = printChecks(checks);
  printRatio(
    `scale: per-date time with ${fmtInt(growth.bigRunners)} runners stored = x${ratio.toFixed(2)} of empty (target <= 1.25)`,
  );
  return ok;
}

export const scale: Benchmark = {
  name: 'scale',
  description: 'queueing 11 years, worker memory through a long run, per-date time as the tables grow',
  options: (cmd: Command) =>
    cmd
      .option('--days <n>', 'days of results for the worker memory run (365 = one year)', positiveInt, 30)
      .option(
        '--seed-runners <n>',
        'runners stored before the second measurement (the issue uses 1000000)',
        positiveInt,
        200_000,
      )
      .option('--dates <n>', 'dates measured in each database', positiveInt, 20)
      .option('--warm-dates <n>', 'dates both databases load first', positiveInt, 5),
  run: (opts) => run(opts as unknown as ScaleOptions),
};
