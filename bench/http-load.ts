// HTTP load: `npm run api` in its own process (bearer token on, report cached for the whole run) on loopback
// against a seeded database, N concurrent clients each sending M requests (snapshot lists, raw snapshots,
// /api/coverage, /report), every answer compared with the one given to a single client beforehand.
// Target: zero errors (status other than 200, a different body, a timeout). The baseline is the same paths
// sent by one client one at a time in the same run: the ratio is loaded p50 over unloaded p50.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { type Benchmark, positiveInt } from './lib/benchmark.ts';
import { createBenchDatabase } from './lib/db.ts';
import { fetchExpected, runHttpClients } from './lib/http-clients.ts';
import { seedLadder } from './lib/ladder-seed.ts';
import { quantile } from './lib/measure.ts';
import { fmtInt, fmtMs, printChecks, printMachine, printRatio, printTable } from './lib/report.ts';

interface HttpLoadOptions {
  clients: number;
  requests: number;
  snapshots: number;
}

const TOKEN = 'bench-http-load-token-0123456789';

/** `node src/cli/api.ts --port 0`; resolves with its base URL once it prints its first line. */
async function startApi(databaseUrl: string): Promise<{ base: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['src/cli/api.ts', '--host', '127.0.0.1', '--port', '0'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      API_DATABASE_URL: '',
      API_TOKEN: TOKEN,
      API_REPORT_CACHE_SECONDS: '86400',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the API exited (${code}) before its first line`);
  });
  const [line] = (await Promise.race([once(createInterface({ input: child.stdout! }), 'line'), exited])) as [
    string,
  ];
  const base = /^API on (http:\/\/[\d.]+:\d+) /.exec(line)?.[1];
  if (!base) throw new Error(`unexpected first line from the API: ${line}`);
  return { base, child };
}

async function run(o: HttpLoadOptions): Promise<boolean> {
  printMachine();
  const db = await createBenchDatabase('http_load');
  let api: { base: string; child: ChildProcess } | undefined;
  try {
    await seedLadder(db.sql, o.snapshots);
    await db.sql`analyze`;
    api = await startApi(db.url);
    const headers = { authorization: `Bearer ${TOKEN}` };
    const paths = [
      ...[1, 2, 3].map((m) => `/debug/markets/1.${200_000_000 + m}/snapshots?limit=50`),
      ...[1, Math.ceil(o.snapshots / 2), o.snapshots].map((id) => `/debug/snapshots/${id}/raw`),
      '/api/coverage',
      '/report',
    ];
    const expected = await fetchExpected(api.base, paths, headers);
    // The answers every client must repeat are first checked against the database.
    const [count] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from market_book_snapshots where market_id = '1.200000001'`;
    if (JSON.parse(expected.get(paths[0]!)!).length !== Math.min(50, count?.n ?? 0))
      throw new Error(`${paths[0]} answered an unexpected number of rows`);

    const single = await runHttpClients({
      base: api.base,
      clients: 1,
      requestsPerClient: paths.length * 3,
      path: (_c, n) => paths[n % paths.length]!,
      expected,
      headers,
      timeoutMs: 30_000,
    });
    const loaded = await runHttpClients({
      base: api.base,
      clients: o.clients,
      requestsPerClient: o.requests,
      path: (c, n) => paths[(c + n) % paths.length]!,
      expected,
      headers,
      timeoutMs: 30_000,
    });
    const errors = [...single.errors, ...loaded.errors];
    for (const e of errors.slice(0, 10)) console.log(`  error: ${e}`);

    const p = (values: number[], q: number) => fmtMs(quantile(values, q));
    printTable(
      'HTTP latency (loopback, bearer token, report served from its cache)',
      ['run', 'requests', 'p50', 'p99', 'max', 'errors'],
      [
        [
          '1 client, one at a time (baseline)',
          single.latenciesMs.length,
          p(single.latenciesMs, 0.5),
          p(single.latenciesMs, 0.99),
          p(single.latenciesMs, 1),
          single.errors.length,
        ],
        [
          `${o.clients} clients x ${o.requests}`,
          fmtInt(loaded.latenciesMs.length),
          p(loaded.latenciesMs, 0.5),
          p(loaded.latenciesMs, 0.99),
          p(loaded.latenciesMs, 1),
          loaded.errors.length,
        ],
      ],
    );
    const ok = printChecks([
      {
        target: 'zero errors',
        measured: `${errors.length} in ${fmtInt(paths.length * 3 + o.clients * o.requests)} requests`,
        ok: errors.length === 0,
      },
    ]);
    printRatio(
      `p50 under ${o.clients} clients / p50 of one client = x${(quantile(loaded.latenciesMs, 0.5) / quantile(single.latenciesMs, 0.5)).toFixed(1)}; p99 ${p(loaded.latenciesMs, 0.99)}; errors ${errors.length}`,
    );
    return ok;
  } finally {
    if (api && api.child.exitCode === null && api.child.signalCode === null) {
      const stopped = once(api.child, 'exit');
      api.child.kill('SIGTERM');
      await stopped;
    }
    await db.drop();
  }
}

export const httpLoad: Benchmark = {
  name: 'http-load',
  description: 'npm run api under concurrent clients on loopback: zero errors, p50/p99',
  options: (cmd: Command) =>
    cmd
      .option('--clients <n>', 'concurrent clients', positiveInt, 50)
      .option('--requests <n>', 'requests per client, one after another', positiveInt, 20)
      .option('--snapshots <n>', 'Betfair snapshots seeded', positiveInt, 20_000),
  run: (opts) => run(opts as unknown as HttpLoadOptions),
};
