// npm run bench -- stream [--markets N] [--runners N] [--every 1s]
//
// Betfair historical stream import (issue 14): a generated PRO-like archive (a tar of per-market bz2
// files, WIN markets as src/betfair/stream/generate.ts writes them) imported by the kit in a child process
// (importStreamFile: decompress, parse, replay, snapshots + per-runner metrics + markets + runners, one
// transaction), beside two baselines measured in the same run on the same input:
//   decompression alone: the tar and bz2 layers read to the last byte (no JSON, no database);
//   COPY: the rows the import produced (snapshots, per-runner metrics, markets, runners), copied out and
//         loaded back with COPY into empty copies of their tables.
// Targets: the import's messages/s >= 50% of the slower baseline; the peak RSS importing a 10x larger
// archive <= 1.1 x the peak importing the 1x one (memory flat in file size).
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, pipeline, Readable, type Transform } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import tarStream from 'tar-stream';
import unbzip2 from 'unbzip2-stream';
import { archiveMemberName, generateWinMarket, writeStreamTar } from '../src/betfair/stream/index.ts';
import type { Sql } from '../src/db.ts';
import { type Benchmark, positiveInt } from './lib/benchmark.ts';
import { createBenchDatabase } from './lib/db.ts';
import {
  type Check,
  fmtInt,
  fmtMb,
  fmtPct,
  fmtRate,
  fmtS,
  printChecks,
  printMachine,
  printRatio,
  printTable,
} from './lib/report.ts';

interface StreamOptions {
  markets: number;
  runners: number;
  every?: string;
}

const THROUGHPUT_TARGET = 0.5;
const MEMORY_TARGET = 1.1;
const CHILD = fileURLToPath(new URL('./lib/stream-import-child.ts', import.meta.url));
const NODE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=512'];
const TABLES = [
  'market_book_snapshots',
  'market_runner_metrics',
  'betfair_markets',
  'market_runners',
] as const;

async function writeArchive(path: string, markets: number, runners: number, offset: number): Promise<void> {
  const members = Array.from({ length: markets }, (_, i) => {
    const n = offset + i;
    const o = {
      marketId: `1.2${String(n).padStart(8, '0')}`,
      eventId: String(33_000_000 + Math.floor(n / 8)),
      marketTime: new Date(
        Date.UTC(2024, 0, 1 + Math.floor(n / 40), 12) + (n % 40) * 1_800_000,
      ).toISOString(),
      runners: runners - (n % 3),
      seed: n + 1,
      venue: ['Kempton', 'Ascot', 'Wolverhampton', 'Newbury'][n % 4],
    };
    return {
      name: archiveMemberName('PRO', o.marketTime, o.eventId, o.marketId),
      lines: generateWinMarket(o),
      compression: 'bzip2' as const,
    };
  });
  await writeStreamTar(path, members);
}

/** Baseline 1: every byte of every member decompressed, nothing parsed. Returns the time and the lines. */
async function decompressOnly(path: string): Promise<{ ms: number; lines: number }> {
  const started = performance.now();
  let lines = 0;
  const extract = tarStream.extract();
  pipeline(createReadStream(path), extract, (error) => {
    if (error) extract.destroy(error);
  });
  for await (const entry of extract) {
    const out = new PassThrough();
    pipeline(entry, unbzip2() as unknown as Transform, out, (error) => {
      if (error) out.destroy(error);
    });
    for await (const chunk of out) for (const byte of chunk as Buffer) if (byte === 10) lines++;
  }
  return { ms: performance.now() - started, lines };
}

function importInChild(url: string, path: string, every?: string) {
  // The worker's and import:stream's V8 flags (package.json): the memory figure is the production process's.
  const child = spawnSync(process.execPath, [...NODE_FLAGS, CHILD, path, ...(every ? [every] : [])], {
    env: { ...process.env, DATABASE_URL: url },
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`import child failed: ${child.stderr.trim().split('\n').pop()}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as {
    ms: number;
    messages: number;
    inserted: number;
    runnerRows: number;
    maxRssBytes: number;
  };
}

/** Baseline 2: the rows the import produced, copied out, then COPY'd into empty copies of their tables. */
async function copyProduced(sql: Sql): Promise<{ ms: number; rows: number }> {
  const data: { table: string; chunks: Buffer[] }[] = [];
  let rows = 0;
  for (const table of TABLES) {
    const chunks: Buffer[] = [];
    for await (const chunk of await sql.unsafe(`copy ${table} to stdout`).readable())
      chunks.push(chunk as Buffer);
    data.push({ table, chunks });
    const [n] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table}`);
    rows += n?.n ?? 0;
  }
  let ms = 0;
  await sql.begin(async (tx) => {
    for (const { table } of data)
      await tx.unsafe(`create temp table ${table}_copy (like ${table} including all) on commit drop`);
    const started = performance.now();
    for (const { table, chunks } of data) {
      const writable = await tx.unsafe(`copy ${table}_copy from stdin`).writable();
      await pipelineAsync(Readable.from(chunks), writable);
    }
    ms = performance.now() - started;
  });
  return { ms, rows };
}

async function run(o: StreamOptions): Promise<boolean> {
  printMachine();
  const dir = await mkdtemp(join(tmpdir(), 'bench-stream-'));
  const small = join(dir, 'pro-1x.tar');
  const large = join(dir, 'pro-10x.tar');
  const dbSmall = await createBenchDatabase('stream');
  const dbLarge = await createBenchDatabase('stream10');
  try {
    await writeArchive(small, o.markets, o.runners, 0);
    await writeArchive(large, o.markets * 10, o.runners, 100_000);
    const sizes = [(await stat(small)).size, (await stat(large)).size];

    const decomp = await decompressOnly(small);
    const kit = importInChild(dbSmall.url, small, o.every);
    const copy = await copyProduced(dbSmall.sql);
    const kitLarge = importInChild(dbLarge.url, large, o.every);

    const rate = (ms: number) => (kit.messages * 1000) / ms;
    const kitRate = rate(kit.ms);
    const decompRate = rate(decomp.ms);
    const copyRate = rate(copy.ms);
    const slower = Math.min(decompRate, copyRate);
    const memRatio = kitLarge.maxRssBytes / kit.maxRssBytes;

    printTable(
      `stream import: ${o.markets} markets x ~${o.runners} runners (${fmtMb(sizes[0]!)} archive, ${fmtInt(kit.messages)} messages; cadence ${o.every ?? 'every change'})`,
      ['what', 'time', 'messages/s', 'rows'],
      [
        ['decompression alone (tar + bz2)', fmtS(decomp.ms), fmtRate(decompRate, 'msg'), '-'],
        ['COPY of the produced rows', fmtS(copy.ms), fmtRate(copyRate, 'msg'), fmtInt(copy.rows)],
        [
          'kit import (importStreamFile)',
          fmtS(kit.ms),
          fmtRate(kitRate, 'msg'),
          fmtInt(kit.inserted + kit.runnerRows),
        ],
      ],
    );
    printTable(
      'peak memory of the import process',
      ['input', 'archive', 'messages', 'time', 'peak RSS'],
      [
        ['1x', fmtMb(sizes[0]!), fmtInt(kit.messages), fmtS(kit.ms), fmtMb(kit.maxRssBytes)],
        ['10x', fmtMb(sizes[1]!), fmtInt(kitLarge.messages), fmtS(kitLarge.ms), fmtMb(kitLarge.maxRssBytes)],
      ],
    );
    const checks: Check[] = [
      {
        target: `import >= ${fmtPct(THROUGHPUT_TARGET)} of the slower baseline`,
        measured: fmtPct(kitRate / slower),
        ok: kitRate / slower >= THROUGHPUT_TARGET,
      },
      {
        target: `peak RSS 10x / 1x <= ${MEMORY_TARGET}`,
        measured: memRatio.toFixed(2),
        ok: memRatio <= MEMORY_TARGET,
      },
    ];
    const ok = printChecks(checks);
    printRatio(
      `import / slower baseline = ${(kitRate / slower).toFixed(2)}; memory 10x/1x = ${memRatio.toFixed(2)}`,
    );
    return ok;
  } finally {
    await dbSmall.drop();
    await dbLarge.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

export const stream: Benchmark = {
  name: 'stream',
  description:
    'Betfair stream archive import vs decompression alone and COPY of the produced rows; memory 1x vs 10x',
  options: (cmd: Command) =>
    cmd
      .option(
        '--markets <n>',
        'markets in the 1x archive (the 10x one has ten times as many)',
        positiveInt,
        8,
      )
      .option('--runners <n>', 'runners per market (up to 2 fewer in some)', positiveInt, 10)
      .option('--every <duration>', 'cadence --every (default: every change)'),
  run: (opts) => run(opts as unknown as StreamOptions),
};
