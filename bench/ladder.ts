// Ladder backfill: the kit's set-based backfill_ladder (run by the kit's worker process) beside a faithful
// re-implementation of the original L1 backfill script, on N synthetic snapshots of which 10% have NULL L1
// back sizes. Targets (issue 5): >= 20x faster, >= 100,000 snapshots scanned per second, memory flat in N.
import type { Command } from 'commander';
import { DEFAULT_BATCH_SIZE } from '../src/betfair/backfill-params.ts';
import { L1_BACK_SIZE_COLUMNS } from '../src/betfair/metrics.ts';
import { type Benchmark, positiveInt } from './lib/benchmark.ts';
import { type BenchDatabase, createBenchDatabase } from './lib/db.ts';
import { runOriginalScript } from './lib/ladder-script.ts';
import { checkL1, seedLadder } from './lib/ladder-seed.ts';
import { timed } from './lib/measure.ts';
import {
  type Check,
  fmtInt,
  fmtMb,
  fmtRate,
  fmtS,
  printChecks,
  printMachine,
  printRatio,
  printTable,
} from './lib/report.ts';
import { spawnWorker } from './lib/worker-process.ts';

interface LadderOptions {
  snapshots: number;
  memorySnapshots?: number;
  baselineRows: number;
  batchSize: number;
}

interface KitRun {
  snapshots: number;
  ms: number;
  wallMs: number;
  scanned: number;
  filled: Record<string, number>;
  peakRss: number;
  nullRows: number;
  wrongRows: number;
}

/**
 * A checkpoint before each timed phase: seeding writes ~1.5 GB, so otherwise a checkpoint (and the full-page
 * images every first write after it costs) started at a different point of each run; the kit's 1M time
 * varied 3.1-4.6 s between two runs. Both ways now start right after one.
 */
async function settle(db: BenchDatabase): Promise<void> {
  await db.sql`checkpoint`;
}

/** Queues backfill_ladder for the three L1 columns and runs it with `node src/cli/worker.ts --once`. */
async function runKit(db: BenchDatabase, snapshots: number, batchSize: number): Promise<KitRun> {
  await db.sql`select graphile_worker.add_job('backfill_ladder', ${db.sql.json({
    columns: [...L1_BACK_SIZE_COLUMNS],
    batch_size: batchSize,
  })}::json)`;
  await settle(db);
  const started = performance.now();
  const worker = spawnWorker(['--once', '--concurrency', '1'], { DATABASE_URL: db.url });
  const exit = await worker.done;
  const wallMs = performance.now() - started;
  if (exit.code !== 0)
    throw new Error(`worker exited with ${exit.code}: ${exit.output.trim().split('\n').pop()}`);
  const [run] = await db.sql<
    {
      status: string;
      scanned: number;
      filled: Record<string, number>;
      ms: number;
      last_error: string | null;
    }[]
  >`
    select status, scanned::float8 as scanned, updated_by_column as filled, last_error,
           extract(epoch from finished_at - started_at)::float8 * 1000 as ms
    from ladder_backfill_runs order by id desc limit 1`;
  if (run?.status !== 'done')
    throw new Error(
      `backfill_ladder did not finish: ${run?.status ?? 'no run row'} ${run?.last_error ?? ''}`,
    );
  const check = await checkL1(db.sql);
  return {
    snapshots,
    ms: run.ms,
    wallMs,
    scanned: run.scanned,
    filled: run.filled,
    peakRss: exit.peakRss,
    ...check,
  };
}

async function resetL1(db: BenchDatabase): Promise<void> {
  await db.sql`
    update market_derived_metrics
    set home_best_back_size_l1 = null, away_best_back_size_l1 = null, draw_best_back_size_l1 = null
    where snapshot_id % 10 = 0 and home_best_back_size_l1 is not null`;
  await db.sql`vacuum analyze market_derived_metrics`;
}

async function seeded(label: string, snapshots: number) {
  const db = await createBenchDatabase(label);
  const seed = await timed(() => seedLadder(db.sql, snapshots));
  console.log(
    `seeded ${fmtInt(snapshots)} snapshots (${fmtInt(seed.value.nullRows)} with NULL L1) in ${fmtS(seed.ms)}`,
  );
  return { db, nullRows: seed.value.nullRows };
}

async function run(opts: LadderOptions): Promise<boolean> {
  printMachine();
  const n = opts.snapshots;
  const n2 = opts.memorySnapshots ?? Math.max(10_000, Math.round(n / 3));
  const checks: Check[] = [];

  // Memory at a second size first (its own database, dropped before the main one is built).
  const small = await seeded('ladder_mem', n2);
  const kitSmall = await runKit(small.db, n2, opts.batchSize);
  await small.db.drop();

  const { db, nullRows } = await seeded('ladder', n);

  // Baseline on the first baselineRows candidate rows (the script's own --limit), then reset them.
  const limit = Math.min(opts.baselineRows, nullRows);
  await settle(db);
  const script = await runOriginalScript(db.sql, limit, 500);
  const scriptCheck = await checkL1(db.sql);
  const perRowMs = script.loopMs / Math.max(1, script.selected);
  const scriptFullMs = script.selectMs + perRowMs * nullRows;
  const extrapolated = script.selected < nullRows;
  await resetL1(db);

  const kit = await runKit(db, n, opts.batchSize);

  printTable(
    `Ladder backfill of the L1 back sizes: ${fmtInt(n)} snapshots, ${fmtInt(nullRows)} with NULL L1`,
    ['way', 'rows handled', 'time', 'snapshots covered/s', 'rows filled/s', 'peak RSS'],
    [
      [
        `original script way (${extrapolated ? `measured on ${fmtInt(script.selected)} rows, extrapolated` : 'full run'})`,
        fmtInt(nullRows),
        fmtS(scriptFullMs),
        fmtRate(n / (scriptFullMs / 1000), 'snap'),
        fmtRate(script.selected / ((script.selectMs + script.loopMs) / 1000), 'row'),
        '',
      ],
      [
        `kit backfill_ladder, N = ${fmtInt(n2)}`,
        fmtInt(kitSmall.scanned),
        fmtS(kitSmall.ms),
        fmtRate(n2 / (kitSmall.ms / 1000), 'snap'),
        fmtRate(kitSmall.scanned / (kitSmall.ms / 1000), 'row'),
        fmtMb(kitSmall.peakRss),
      ],
      [
        `kit backfill_ladder, N = ${fmtInt(n)}`,
        fmtInt(kit.scanned),
        fmtS(kit.ms),
        fmtRate(n / (kit.ms / 1000), 'snap'),
        fmtRate(kit.scanned / (kit.ms / 1000), 'row'),
        fmtMb(kit.peakRss),
      ],
    ],
  );
  console.log(
    `script: select ${fmtS(script.selectMs)} + loop ${fmtS(script.loopMs)} for ${fmtInt(script.selected)} rows ` +
      `(${script.updated} updated, ${script.skipped} skipped, ${script.errors} errors); ` +
      (extrapolated
        ? `full time = select + ${perRowMs.toFixed(3)} ms/row x ${fmtInt(nullRows)} rows (linear: one round trip per query)`
        : 'no extrapolation'),
  );
  console.log(
    `kit: run time from ladder_backfill_runs (started_at..finished_at); worker process wall time ${fmtS(kit.wallMs)} ` +
      `including Node start-up; batch size ${opts.batchSize}; filled ${JSON.stringify(kit.filled)}`,
  );

  const speedup = scriptFullMs / kit.ms;
  const snapPerSec = n / (kit.ms / 1000);
  const growth = kit.peakRss / kitSmall.peakRss;
  checks.push(
    {
      target: 'both correct (L1 = raw ladder value)',
      measured: `script ${scriptCheck.wrongRows} wrong; kit ${kit.wrongRows} wrong, ${kit.nullRows} NULL left`,
      ok: scriptCheck.wrongRows === 0 && kit.wrongRows === 0 && kit.nullRows === 0 && kitSmall.nullRows === 0,
    },
    {
      target: '>= 100,000 snapshots scanned/s',
      measured: fmtRate(snapPerSec, 'snap'),
      ok: snapPerSec >= 100_000,
      note: `the kit took ${fmtS(kit.ms)} for ${fmtInt(n)} snapshots`,
    },
    {
      target: `memory flat (peak RSS at ${fmtInt(n)} <= 1.1 x at ${fmtInt(n2)})`,
      measured: `${fmtMb(kitSmall.peakRss)} -> ${fmtMb(kit.peakRss)} (x${growth.toFixed(2)})`,
      ok: growth <= 1.1,
    },
    {
      target: 'kit >= 20x faster than the script way',
      measured: `${speedup.toFixed(1)}x`,
      ok: speedup >= 20,
    },
  );
  const ok = printChecks(checks);
  await db.drop();
  printRatio(`ladder: kit ${speedup.toFixed(1)}x faster than the original script way (target >= 20x)`);
  return ok;
}

export const ladder: Benchmark = {
  name: 'ladder',
  description: 'set-based backfill_ladder vs the original per-row L1 backfill script',
  options: (cmd: Command) =>
    cmd
      .option('--snapshots <n>', 'snapshots in the main run (the issue uses 1000000)', positiveInt, 100_000)
      .option(
        '--memory-snapshots <n>',
        'second, smaller size for the memory check (default N/3)',
        positiveInt,
      )
      .option(
        '--baseline-rows <n>',
        'rows the original script way is timed on (it is linear; the rest is extrapolated)',
        positiveInt,
        10_000,
      )
      .option(
        '--batch-size <n>',
        "the kit's batch size (default: the kit's own default; the script way commits every 500 rows)",
        positiveInt,
        DEFAULT_BATCH_SIZE,
      ),
  run: (opts) => run(opts as unknown as LadderOptions),
};
