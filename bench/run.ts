// npm run bench                 every benchmark with its small defaults, each in its own process
// npm run bench -- <name> [...] one benchmark (ingest, ladder, rate-limit, scale, json-split, array-literal,
//                               http-load, accounts, rederive, full, stream)
//                               with its size flags
//
// Each benchmark measures its baseline and the kit in the same run, prints its figures, the targets and
// the ratio last, and exits non-zero when a target is missed. Never part of npm test.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describeDbError } from '../src/db.ts';
import { accounts } from './accounts.ts';
import { arrayLiteral } from './array-literal.ts';
import { full } from './full.ts';
import { httpLoad } from './http-load.ts';
import { ingest } from './ingest.ts';
import { jsonSplit } from './json-split.ts';
import { ladder } from './ladder.ts';
import type { Benchmark } from './lib/benchmark.ts';
import { dropAllBenchDatabases } from './lib/db.ts';
import { rateLimit } from './rate-limit.ts';
import { rederive } from './rederive.ts';
import { scale } from './scale.ts';
import { stream } from './stream.ts';

const BENCHMARKS: readonly Benchmark[] = [
  ingest,
  ladder,
  rateLimit,
  scale,
  jsonSplit,
  arrayLiteral,
  httpLoad,
  accounts,
  rederive,
  full,
  stream,
];

async function runOne(b: Benchmark, opts: Record<string, unknown>): Promise<void> {
  const stop = () => {
    void dropAllBenchDatabases().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const ok = await b.run(opts);
    process.exitCode = ok ? 0 : 1;
  } catch (error) {
    console.error(`error: ${b.name}: ${describeDbError(error)}`);
    process.exitCode = 2;
  } finally {
    await dropAllBenchDatabases();
  }
}

/** Run only by name: `full` backfills eleven years (tens of minutes even time-scaled). */
const ONLY_BY_NAME = new Set(['full']);

/** Every benchmark in turn, each in a fresh process so that memory figures do not carry over. */
function runAll(): void {
  const self = fileURLToPath(import.meta.url);
  const results: [string, number][] = [];
  for (const b of BENCHMARKS.filter((b) => !ONLY_BY_NAME.has(b.name))) {
    console.log(`\n=== ${b.name}: ${b.description}`);
    const child = spawnSync(process.execPath, [self, b.name], { stdio: 'inherit' });
    results.push([b.name, child.status ?? 1]);
  }
  console.log('\n=== summary');
  for (const [name, code] of results)
    console.log(`${name.padEnd(11)} ${code === 0 ? 'targets met' : code === 1 ? 'TARGET MISSED' : 'ERROR'}`);
  process.exitCode = results.some(([, code]) => code !== 0) ? 1 : 0;
}

const program = new Command('bench')
  .description('Benchmarks of the kit beside their baselines (see BENCHMARKS.md)')
  .action(runAll);
for (const b of BENCHMARKS) {
  b.options(program.command(b.name).description(b.description)).action(async (opts) => runOne(b, opts));
}
await program.parseAsync();
