// npm run bench -- json-split [--books N] [--rounds N]
//
// The kit's streaming splitter (src/betfair/json-records.ts: split on structure, then JSON.parse each record)
// beside @streamparser/json, a kept streaming parser, reading the same MarketBook snapshot file (NDJSON, one
// book per line, in 64 KiB chunks from memory so the disk is not measured). Both yield every record's value
// and text. The hand-written splitter only earns its place when it is clearly faster: the target is a ratio
// of at least 1.15 (library time / kit time).
import { JSONParser } from '@streamparser/json';
import { splitJsonRecords } from '../src/betfair/json-records.ts';
import { type Benchmark, positiveInt } from './lib/benchmark.ts';
import { median } from './lib/measure.ts';

const TARGET_RATIO = 1.15;
const CHUNK = 64 * 1024;

/** A MarketBook as listMarketBook returns it with EX_BEST_OFFERS and EX_TRADED: 8 runners, 3 levels a side. */
function book(i: number): unknown {
  const levels = (base: number, step: number) =>
    [0, 1, 2].map((l) => ({
      price: Math.round((base + l * step) * 100) / 100,
      size: ((i * 7 + l * 13) % 900) + 2.37,
    }));
  return {
    marketId: `1.${230_000_000 + (i % 2000)}`,
    isMarketDataDelayed: false,
    status: 'OPEN',
    betDelay: 0,
    bspReconciled: false,
    complete: true,
    inplay: false,
    numberOfWinners: 1,
    numberOfRunners: 8,
    numberOfActiveRunners: 8,
    lastMatchTime: new Date(1_717_000_000_000 + i * 1000).toISOString(),
    totalMatched: 12_345.67 + i,
    totalAvailable: 54_321.09,
    version: 5_000_000_000 + i,
    runners: Array.from({ length: 8 }, (_, r) => {
      const price = 2 + r * 1.5;
      return {
        selectionId: 40_000_000 + r,
        handicap: 0,
        status: 'ACTIVE',
        lastPriceTraded: price,
        totalMatched: 1000 + r * 10.5,
        ex: {
          availableToBack: levels(price, -0.02),
          availableToLay: levels(price + 0.02, 0.02),
          tradedVolume: levels(price - 0.1, 0.05),
        },
      };
    }),
  };
}

function snapshotFile(books: number): string[] {
  const text = `${Array.from({ length: books }, (_, i) => JSON.stringify(book(i))).join('\n')}\n`;
  const chunks: string[] = [];
  for (let at = 0; at < text.length; at += CHUNK) chunks.push(text.slice(at, at + CHUNK));
  return chunks;
}

async function* fromMemory(chunks: readonly string[]): AsyncGenerator<string> {
  for (const c of chunks) yield c;
}

/** The kit's way, as readJsonRecords does it: split, then parse each record's text. */
async function kit(chunks: readonly string[]): Promise<number> {
  let n = 0;
  for await (const r of splitJsonRecords(fromMemory(chunks))) {
    const value = JSON.parse(r.text);
    if (value) n++;
  }
  return n;
}

/** The library's way: parse the stream into values, then the text back from each value. */
async function library(chunks: readonly string[]): Promise<number> {
  let n = 0;
  const parser = new JSONParser({ paths: ['$'], separator: '', keepStack: false });
  parser.onValue = ({ value }) => {
    if (JSON.stringify(value)) n++;
  };
  for await (const c of fromMemory(chunks)) parser.write(c);
  parser.end();
  return n;
}

async function time(fn: () => Promise<number>, expected: number): Promise<number> {
  const started = performance.now();
  const n = await fn();
  const ms = performance.now() - started;
  if (n !== expected) throw new Error(`read ${n} records, not ${expected}`);
  return ms;
}

export const jsonSplit: Benchmark = {
  name: 'json-split',
  description: 'the streaming JSON splitter beside @streamparser/json on MarketBook snapshots',
  options: (cmd) =>
    cmd
      .option('--books <n>', 'MarketBook snapshots in the file', positiveInt, 5_000)
      .option('--rounds <n>', 'timed rounds of each, alternating', positiveInt, 7),
  async run(opts) {
    const books = opts.books as number;
    const rounds = opts.rounds as number;
    const chunks = snapshotFile(books);
    const mb = chunks.reduce((s, c) => s + c.length, 0) / 1e6;
    // One untimed round each warms the JIT.
    await time(() => kit(chunks), books);
    await time(() => library(chunks), books);
    const kitMs: number[] = [];
    const libMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      kitMs.push(await time(() => kit(chunks), books));
      libMs.push(await time(() => library(chunks), books));
    }
    const k = median(kitMs);
    const l = median(libMs);
    const ratio = l / k;
    console.log(`${books} MarketBook snapshots, ${mb.toFixed(1)} MB of NDJSON, median of ${rounds} rounds`);
    console.log(
      `kit (splitJsonRecords + JSON.parse)     ${k.toFixed(0).padStart(6)} ms  ${(mb / (k / 1000)).toFixed(0)} MB/s`,
    );
    console.log(
      `@streamparser/json (+ JSON.stringify)   ${l.toFixed(0).padStart(6)} ms  ${(mb / (l / 1000)).toFixed(0)} MB/s`,
    );
    console.log(
      `ratio (library / kit): ${ratio.toFixed(2)}x (target: at least ${TARGET_RATIO}x to keep the splitter)`,
    );
    return ratio >= TARGET_RATIO;
  },
};
