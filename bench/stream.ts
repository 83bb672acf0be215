// npm run bench -- stream [--markets N] [--runners N] [--every 1s] [--rounds N]
//
// Betfair historical stream import (issue 14): a generated PRO-like archive (a tar of per-market bz2
// files, WIN markets as src/betfair/stream/generate.ts writes them) imported by the kit in a child process
// (importStreamFile: decompress, parse, replay, snapshots + per-runner metrics + markets + runners, one
// transaction), beside two baselines measured in the same run on the same input (the 10x archive):
//   decompression alone: the tar and bz2 layers read to the last byte with the kit's libraries (no JSON, no
//         database);
//   COPY: the rows the import produced (snapshots, per-runner metrics, markets, runners), copied out and
//         loaded back with COPY into the same tables of a freshly migrated database (indexes, foreign key
//         and WAL as the import has them).
// Each round measures the three back to back on fresh databases; the best of each over the rounds is
// compared (the machine is shared: the best is the run least disturbed by others).
// Targets: the import's messages/s >= 50% of the slower baseline; the peak RSS importing the 10x archive
// <= 1.1 x the peak importing the 1x one (memory flat in file size).
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
import { connect, type Sql } from '../src/db.ts';
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
  rounds: number;
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

/** Baseline 1: every byte of every member decompressed, nothing parsed. */
async function decompressOnly(path: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  const extract = tarStream.extract();
  pipeline(createReadStream(path), extract, (error) => {
    if (error) extract.destroy(error);
  });
  for await (const entry of extract) {
    const out = new PassThrough();
    pipeline(entry, unbzip2() as unknown as Transform, out, (error) => {
      if (error) out.destroy(error);
    });
    for await (const chunk of out) bytes += (chunk as Buffer).length;
  }
  return { ms: performance.now() - started, bytes };
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

/**
 * The rows of `table` in COPY text form. A client of its own per table: a postgres.js connection that served
 * `copy ... to stdout` can be left busy and hang the next query sent to it (porsager/postgres #499, #917).
 */
async function copyOut(url: string, table: string): Promise<Buffer[]> {
  const client = connect(url, { max: 1 });
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await client.unsafe(`copy ${table} to stdout`).readable())
      chunks.push(chunk as Buffer);
    return chunks;
  } finally {
    await client.end({ timeout: 1 });
  }
}

/** Rows in COPY text data: one line each (a newline inside a value is written as \\n). */
function copyRows(chunks: readonly Buffer[]): number {
  let rows = 0;
  for (const chunk of chunks) for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) rows++;
  return rows;
}

/** Baseline 2: the rows the import produced, copied out of `fromUrl`, then COPY'd into the same (empty) tables of `to`. */
async function copyProduced(fromUrl: string, to: Sql): Promise<{ ms: number; rows: number }> {
  const data: { table: string; chunks: Buffer[] }[] = [];
  for (const table of TABLES) data.push({ table, chunks: await copyOut(fromUrl, table) });
  const rows = data.reduce((n, d) => n + copyRows(d.chunks), 0);
  let ms = 0;
  await to.begin(async (tx) => {
    const started = performance.now();
    // Snapshots before their per-runner rows: the foreign key is checked as in the import.
    for (const { table, chunks } of data) {
      const writable = await tx.unsafe(`copy ${table} from stdin`).writable();
      await pipelineAsync(Readable.from(chunks), writable);
    }
    ms = performance.now() - started;
  });
  return { ms, rows };
}

interface Round {
  decomp: { ms: number };
  kit: ReturnType<typeof importInChild>;
  copy: { ms: number; rows: number };
}

/** One round on the 10x archive: decompression, the import, COPY of what it stored; fresh databases. */
async function measureRound(path: string, every: string | undefined, round: number): Promise<Round> {
  const imported = await createBenchDatabase(`stream_${round}`);
  const copied = await createBenchDatabase(`stream_copy_${round}`);
  try {
    const decomp = await decompressOnly(path);
    const kit = importInChild(imported.url, path, every);
    const copy = await copyProduced(imported.url, copied.sql);
    return { decomp, kit, copy };
  } finally {
    await imported.drop();
    await copied.drop();
  }
}

async function run(o: StreamOptions): Promise<boolean> {
  printMachine();
  const dir = await mkdtemp(join(tmpdir(), 'bench-stream-'));
  const small = join(dir, 'pro-1x.tar');
  const large = join(dir, 'pro-10x.tar');
  const dbSmall = await createBenchDatabase('stream_1x');
  try {
    await writeArchive(small, o.markets, o.runners, 0);
    await writeArchive(large, o.markets * 10, o.runners, 100_000);
    const sizes = [(await stat(small)).size, (await stat(large)).size];

    const rounds: Round[] = [];
    for (let r = 0; r < o.rounds; r++) rounds.push(await measureRound(large, o.every, r));
    const kitSmall = importInChild(dbSmall.url, small, o.every);
    const messages = rounds[0]!.kit.messages;
    const rate = (ms: number) => (messages * 1000) / ms;
    const best = (pick: (r: Round) => number) => Math.min(...rounds.map(pick));
    const decompMs = best((r) => r.decomp.ms);
    const copyMs = best((r) => r.copy.ms);
    const kitMs = best((r) => r.kit.ms);
    const slower = Math.min(rate(decompMs), rate(copyMs));
    const kitRate = rate(kitMs);
    const kitLarge = rounds[0]!.kit;
    const memRatio = kitLarge.maxRssBytes / kitSmall.maxRssBytes;

    printTable(
      `stream import: ${o.markets * 10} markets x ~${o.runners} runners (the 10x archive, ${fmtMb(sizes[1]!)}, ${fmtInt(messages)} messages; cadence ${o.every ?? 'every change'}); best of ${o.rounds} round(s)`,
      ['what', ...rounds.map((_, i) => `round ${i + 1}`), 'best', 'messages/s', 'rows'],
      [
        [
          'decompression alone (tar + bz2)',
          ...rounds.map((r) => fmtS(r.decomp.ms)),
          fmtS(decompMs),
          fmtRate(rate(decompMs), 'msg'),
          '-',
        ],
        [
          'COPY of the produced rows',
          ...rounds.map((r) => fmtS(r.copy.ms)),
          fmtS(copyMs),
          fmtRate(rate(copyMs), 'msg'),
          fmtInt(rounds[0]!.copy.rows),
        ],
        [
          'kit import (importStreamFile)',
          ...rounds.map((r) => fmtS(r.kit.ms)),
          fmtS(kitMs),
          fmtRate(kitRate, 'msg'),
          fmtInt(kitLarge.inserted + kitLarge.runnerRows),
        ],
      ],
    );
    printTable(
      'peak memory of the import process',
      ['input', 'archive', 'messages', 'time', 'peak RSS'],
      [
        ['1x', fmtMb(sizes[0]!), fmtInt(kitSmall.messages), fmtS(kitSmall.ms), fmtMb(kitSmall.maxRssBytes)],
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
      .option('--every <duration>', 'cadence --every (default: every change)')
      .option(
        '--rounds <n>',
        'rounds of the three measurements; the best of each is compared',
        positiveInt,
        2,
      ),
  run: (opts) => run(opts as unknown as StreamOptions),
};
