// Rederive: a year of stored results pages (raw_responses, seeded from the simulator's page renderer, no
// HTTP) re-derived into rows by the kit's library call (rederiveDay, as the rederive_day task runs it), a
// few dates at once, beside the COPY ceiling of the same runner rows in the same run. Then where a date's
// time goes: reading the stored pages, JSON + zod, the row mapping, and the write transaction.
// Target (issue 12): runners/s >= 40% of the ceiling.
import type { Command } from 'commander';
import type { Sql } from '../src/db.ts';
import { addDays } from '../src/racing/dates.ts';
import { dayRowsOfPages, pageRequestKey, parseStoredPage } from '../src/racing/fetch-day.ts';
import { loadDayRows } from '../src/racing/load.ts';
import { type RawResponse, storeRawResponses } from '../src/racing/raw.ts';
import { rederiveDay } from '../src/racing/rederive.ts';
import { resultsPageJson } from '../src/simulator/pages.ts';
import { type Benchmark, positiveInt } from './lib/benchmark.ts';
import { copyCeiling } from './lib/ceiling.ts';
import { createBenchDatabase } from './lib/db.ts';
import { backendCpuMs, cpuSince, median } from './lib/measure.ts';
import { datesFrom, REGIONS } from './lib/racing.ts';
import {
  type Check,
  fmtInt,
  fmtMs,
  fmtPct,
  fmtRate,
  fmtS,
  printChecks,
  printMachine,
  printRatio,
  printTable,
} from './lib/report.ts';

interface RederiveOptions {
  days: number;
  start: string;
  concurrency: number;
  breakdownDates: number;
}

const LIMIT = 50;

/** Every results page of the dates as the simulator renders it, stored as a fetch stores it. */
async function seedPages(sql: Sql, dates: readonly string[]): Promise<number> {
  let pages = 0;
  for (const date of dates) {
    const raws: RawResponse[] = [];
    for (let skip = 0; ; skip += LIMIT) {
      const body = resultsPageJson([date], { regions: REGIONS, limit: LIMIT, skip, query: [] });
      raws.push({
        endpoint: 'results',
        requestKey: pageRequestKey('results', date, REGIONS, skip),
        date,
        page: skip / LIMIT,
        status: 200,
        body,
        valid: true,
      });
      const total = (JSON.parse(body) as { total: number }).total;
      if (skip + LIMIT >= total) break;
    }
    await sql.begin((tx) => storeRawResponses(tx, raws));
    pages += raws.length;
  }
  return pages;
}

/** rederiveDay over the dates, `concurrency` at a time (as a worker with that concurrency would). */
async function rederiveAll(sql: Sql, dates: readonly string[], concurrency: number): Promise<number> {
  let next = 0;
  let runners = 0;
  const lane = async () => {
    while (next < dates.length) {
      const date = dates[next++]!;
      const o = await rederiveDay(sql, 'results', date);
      if (o.status !== 'done') throw new Error(`rederive ${date}: ${o.status} ${o.error ?? ''}`);
      runners += o.runners;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return runners;
}

/** The steps of rederiveDay, each timed, on stored dates not derived yet (as in the timed run). */
async function breakdown(sql: Sql, dates: readonly string[]) {
  const steps: Record<string, number[]> = { read: [], parse: [], map: [], write: [] };
  for (const date of dates) {
    let t = performance.now();
    const stored = await sql<{ body: string }[]>`
      select body from raw_responses where endpoint = 'results' and date = ${date} order by page`;
    steps.read!.push(performance.now() - t);
    t = performance.now();
    const pages = stored.map((s) => {
      const p = parseStoredPage('results', s.body);
      if (!p.ok) throw new Error(p.error);
      return p.page;
    });
    steps.parse!.push(performance.now() - t);
    t = performance.now();
    const rows = dayRowsOfPages('results', pages);
    steps.map!.push(performance.now() - t);
    t = performance.now();
    await sql.begin((tx) => loadDayRows(tx, 'results', rows));
    steps.write!.push(performance.now() - t);
  }
  return Object.entries(steps).map(([step, ms]) => [step, fmtMs(median(ms))]);
}

function cpuPerThousand(cpu: { nodeMs: number; postgresMs: number }, rows: number): string {
  const per = (ms: number) => fmtMs((ms / rows) * 1000);
  return `${per(cpu.nodeMs + cpu.postgresMs)} (${per(cpu.nodeMs)} + ${per(cpu.postgresMs)})`;
}

async function run(o: RederiveOptions): Promise<boolean> {
  printMachine();
  const db = await createBenchDatabase('rederive');
  try {
    const dates = datesFrom(o.start, o.days);
    const seedStarted = performance.now();
    const stepDates = datesFrom(addDays(o.start, -o.breakdownDates), o.breakdownDates);
    const pages = await seedPages(db.sql, dates);
    await seedPages(db.sql, stepDates);
    const seedMs = performance.now() - seedStarted;
    // Only the seeded table: analysing the empty row tables would record them as empty, and the foreign-key
    // checks planned from that (seq scans, cached per session) would grow with every date written.
    await db.sql`vacuum analyze raw_responses`;
    // The seeding's writes reach the disk now, not during the timed run (needs superuser; skipped otherwise).
    await db.sql`checkpoint`.catch(() => {});

    const backendsBefore = await backendCpuMs(db.sql);
    const nodeBefore = process.cpuUsage();
    const started = performance.now();
    const runners = await rederiveAll(db.sql, dates, o.concurrency);
    const ms = performance.now() - started;
    const node = process.cpuUsage(nodeBefore);
    const cpu = {
      nodeMs: (node.user + node.system) / 1000,
      postgresMs: cpuSince(backendsBefore, await backendCpuMs(db.sql)),
    };
    const rate = runners / (ms / 1000);
    const ceiling = await copyCeiling(db.sql);
    const ceilingRate = ceiling.rows / (ceiling.ms / 1000);
    const steps = await breakdown(db.sql, stepDates);

    printTable(
      `Rederive of ${o.days} days of stored results pages (${dates[0]}..${dates[dates.length - 1]}): ${fmtInt(pages)} pages, ${fmtInt(runners)} runners`,
      ['way', 'time', 'runners/s', 'CPU per 1,000 runners (Node + PostgreSQL)', 'note'],
      [
        [
          `rederiveDay, ${o.concurrency} dates at once`,
          fmtS(ms),
          fmtRate(rate, 'runner'),
          cpuPerThousand(cpu, runners),
          `pages seeded in ${fmtS(seedMs)} (not timed); 0 API calls`,
        ],
        [
          'ceiling: COPY to temp table + INSERT … ON CONFLICT',
          fmtS(ceiling.ms),
          fmtRate(ceilingRate, 'runner'),
          cpuPerThousand(ceiling.cpu, ceiling.rows),
          `same ${fmtInt(ceiling.rows)} runner rows; COPY part ${fmtS(ceiling.copyMs)}`,
        ],
      ],
    );
    printTable(
      `Where a date's re-derive goes (median over ${o.breakdownDates} other dates, one at a time)`,
      ['step', 'median'],
      steps,
    );
    const share = rate / ceilingRate;
    const checks: Check[] = [
      { target: 'rederive >= 40% of the COPY ceiling', measured: fmtPct(share), ok: share >= 0.4 },
    ];
    const ok = printChecks(checks);
    // CPU per runner does not depend on what else runs on the machine (wall time does): the ceiling is one
    // connection after another step, the rederive spreads over `concurrency` lanes.
    const cpuShare =
      (ceiling.cpu.nodeMs + ceiling.cpu.postgresMs) /
      ceiling.rows /
      ((cpu.nodeMs + cpu.postgresMs) / runners);
    console.log(
      `CPU per runner: the ceiling's is ${fmtPct(cpuShare)} of the rederive's (an estimate of the share on an idle machine ` +
        `with one lane; with ${o.concurrency} lanes on ${o.concurrency}+ idle cores up to ${fmtPct(Math.min(1, cpuShare * o.concurrency))})`,
    );
    printRatio(
      `rederive: ${fmtRate(rate, 'runner')} = ${fmtPct(share)} of the COPY ceiling ${fmtRate(ceilingRate, 'runner')} (target >= 40%)`,
    );
    return ok;
  } finally {
    await db.drop();
  }
}

export const rederive: Benchmark = {
  name: 'rederive',
  description:
    'a year of stored results pages re-derived into rows vs COPY + INSERT … ON CONFLICT of the same runners',
  options: (cmd: Command) =>
    cmd
      .option('--days <n>', 'days of stored results pages (365 = one year)', positiveInt, 365)
      .option('--start <date>', 'first date (YYYY-MM-DD)', '2024-01-01')
      .option('--concurrency <n>', 'dates re-derived at once', positiveInt, 2)
      .option('--breakdown-dates <n>', 'dates for the per-step breakdown', positiveInt, 20),
  run: (opts) => run(opts as unknown as RederiveOptions),
};
