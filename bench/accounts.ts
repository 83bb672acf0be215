// Several accounts: worker processes with RACING_API_ACCOUNTS listing two accounts at `rate` requests/s each,
// against the simulator limiting each account to `rate`/s, with far more queued work than the combined budget
// allows (enrich_horse jobs). Target (issue 11): at least 97% of the combined budget (2 x rate x seconds) used
// over the measured window, zero 429 answers. Every request takes a slot from whichever account can send
// soonest, so the two buckets must both stay busy. The baseline is the combined budget itself.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { type Benchmark, positiveInt } from './lib/benchmark.ts';
import { createBenchDatabase } from './lib/db.ts';
import {
  type Check,
  fmtInt,
  fmtPct,
  printChecks,
  printMachine,
  printRatio,
  printTable,
} from './lib/report.ts';
import { startSimulatorProcess } from './lib/simulator-process.ts';
import { spawnWorker } from './lib/worker-process.ts';
import { maxPerSecond } from './rate-limit.ts';

interface AccountsOptions {
  seconds: number;
  rate: number;
  workers: number;
  concurrency: number;
  warmup: number;
  minUse: number;
}

// Throw-away credentials of the local simulator, one pair per account.
const ACCOUNTS = [
  { username: 'bench-a', password: 'bench-only-password-a' },
  { username: 'bench-b', password: 'bench-only-password-b' },
];

function accountsEnv(databaseUrl: string, sim: { url: string }, rate: number): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    RACING_API_BASE_URL: sim.url,
    RACING_API_ACCOUNTS: ACCOUNTS.map((a) => `${a.username}:${a.password}@${rate}`).join(','),
  };
}

async function run(o: AccountsOptions): Promise<boolean> {
  printMachine();
  const sim = await startSimulatorProcess({ accounts: ACCOUNTS, ratePerSec: o.rate });
  const db = await createBenchDatabase('accounts');
  const combined = o.rate * ACCOUNTS.length;
  try {
    // Work for about twice the combined budget, so that the budget and not the database limits the run.
    const jobs = Math.ceil(combined * (o.seconds + o.warmup) * 2);
    await db.sql`
      select count(*) from graphile_worker.add_jobs(array(
        select row('enrich_horse', json_build_object('horse_id', 'hrs_' || (4700000 + n)), null, null,
                   8::smallint, 'enrich_horse:hrs_' || (4700000 + n), 5, null)::graphile_worker.job_spec
        from generate_series(1, ${jobs}::int) n))`;
    await sim.resetStats();
    const env = accountsEnv(db.url, sim, o.rate);
    const workers = Array.from({ length: o.workers }, () =>
      spawnWorker(['--concurrency', String(o.concurrency)], env),
    );
    let first: number | undefined;
    while (first === undefined) {
      await sleep(20);
      first = (await sim.stats()).arrivals[0];
    }
    const from = first + o.warmup * 1000;
    const to = from + o.seconds * 1000;
    await sleep(Math.max(0, from - Date.now()));
    const atStart = (await sim.stats()).byAccount;
    await sleep(Math.max(0, to - Date.now()));
    const atEnd = (await sim.stats()).byAccount;
    for (const w of workers) w.stop();
    const exits = await Promise.all(workers.map((w) => w.done));
    const stats = await sim.stats();
    const arrivals = [...stats.arrivals].sort((a, b) => a - b);
    const tooMany = stats.byStatus['429'] ?? 0;
    const inWindow = arrivals.filter((t) => t >= from && t < to).length;
    // Arrivals include refused requests; with any 429 count them all against the window (conservative).
    const served = inWindow - tooMany;
    const budget = combined * o.seconds;
    const use = served / budget;
    const peak = maxPerSecond(arrivals);
    // Per account, from the simulator's counts read at the window's edges (approximate: read by polling).
    const perAccount = ACCOUNTS.map((a) => (atEnd[a.username] ?? 0) - (atStart[a.username] ?? 0));
    const [buckets] = await db.sql<{ keys: string }[]>`
      select string_agg(key, ', ' order by key) as keys from rate_limit_slots`;

    printTable(
      `Several accounts: ${ACCOUNTS.length} accounts x ${o.rate}/s, ${o.workers} worker processes x concurrency ` +
        `${o.concurrency}, API limit ${o.rate}/s per account, window ${o.seconds} s after ${o.warmup} s warm-up`,
      ['', 'requests'],
      [
        [`combined budget (${ACCOUNTS.length} x ${o.rate}/s x ${o.seconds} s)`, fmtInt(budget)],
        ['served in the window', fmtInt(served)],
        ...ACCOUNTS.map((a, i) => [
          `account ${a.username} in the window (of ${fmtInt(o.rate * o.seconds)})`,
          fmtInt(perAccount[i] ?? 0),
        ]),
        ['all requests of the run (incl. warm-up and shutdown)', fmtInt(stats.total)],
        ['429 answers', fmtInt(tooMany)],
        ['most requests in any 1-second window, both accounts', `${peak.max} (limit ${combined})`],
        ['rate-limit buckets', buckets?.keys ?? ''],
        ['scheduling of the simulator', sim.scheduling],
        ['worker exit codes', exits.map((e) => String(e.code)).join(', ')],
      ],
    );
    const checks: Check[] = [
      { target: 'zero 429 answers', measured: String(tooMany), ok: tooMany === 0 },
      { target: `combined budget used >= ${o.minUse}%`, measured: fmtPct(use), ok: use * 100 >= o.minUse },
      {
        target: 'workers exited cleanly',
        measured: exits.map((e) => e.code).join(', '),
        ok: exits.every((e) => e.code === 0),
        note: exits.map((e) => e.output.trim().split('\n').pop()).join(' | '),
      },
    ];
    const ok = printChecks(checks);
    printRatio(
      `accounts: ${fmtPct(use)} of the combined ${ACCOUNTS.length} x ${o.rate}/s budget used, ${tooMany} x 429 ` +
        `(target >= ${o.minUse}%, 0)`,
    );
    return ok;
  } finally {
    await sim.close();
    await db.drop();
  }
}

export const accounts: Benchmark = {
  name: 'accounts',
  description: 'two accounts at 10 requests/s each against a simulator limiting each account to 10/s',
  options: (cmd: Command) =>
    cmd
      .option('--seconds <n>', 'measured window (the issue uses 60)', positiveInt, 20)
      .option('--rate <n>', 'requests per second of each account, in the API and the kit', positiveInt, 10)
      .option('--workers <n>', 'worker processes', positiveInt, 4)
      .option('--concurrency <n>', 'jobs at once per worker process', positiveInt, 4)
      .option('--warmup <n>', 'seconds after the first request before the window starts', positiveInt, 2)
      .option('--min-use <pct>', 'combined budget use target', positiveInt, 97),
  run: (opts) => run(opts as unknown as AccountsOptions),
};
