// npm run bench -- array-literal [--runners N] [--rounds N]
//
// The loader's PostgreSQL array-literal encoder (src/racing/array-literal.ts, reached
// through upsertRows with a stand-in connection that keeps the parameters) beside pg's prepareValue, the
// serialiser of a kept driver, on the ra_mst_runners column arrays of a results load. Both dedupe the rows
// first. The hand-written encoder only earns its place when it is clearly faster: the target is a ratio of
// at least 1.15 (library time / kit time).
import pg from 'pg';
import { dedupeRows } from '../src/racing/dedupe.ts';
import type { Row } from '../src/racing/rows.ts';
import { RUNNERS } from '../src/racing/table-specs.ts';
import { upsertRows } from '../src/racing/upsert.ts';
import { type Benchmark, positiveInt } from './lib/benchmark.ts';
import { median } from './lib/measure.ts';

const TARGET_RATIO = 1.15;
const prepareValue = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils.prepareValue;

/** A results runner as the loader gets it: text, numbers, a text[] column and jsonb odds, some nulls. */
function runner(i: number): Row {
  const race = Math.floor(i / 12);
  return {
    race_id: `rac_${11_000_000 + race}`,
    horse_id: `hrs_${30_000_000 + i}`,
    jockey_id: `jky_${200_000 + (i % 400)}`,
    trainer_id: `trn_${100_000 + (i % 600)}`,
    owner_id: `own_${500_000 + (i % 8000)}`,
    horse_name: `Horse ${i} (IRE)`,
    number: (i % 12) + 1,
    draw: i % 3 === 0 ? null : (i % 12) + 1,
    age: 3 + (i % 8),
    sex_code: 'G',
    weight_lbs: 120 + (i % 40),
    weight_st_lbs: `${8 + (i % 3)}-${i % 14}`,
    headgear: i % 4 === 0 ? 'p' : null,
    ofr: 60 + (i % 50),
    rpr: 70 + (i % 50),
    ts: 50 + (i % 40),
    sire_id: `hrs_${1_000_000 + (i % 900)}`,
    dam_id: `hrs_${2_000_000 + i}`,
    damsire_id: `hrs_${1_000_000 + (i % 700)}`,
    silk_url: `https://www.rp-assets.com/svg/${i % 1000}/${i}.svg`,
    form: '1-23P4',
    comment: `Chased leaders, "outpaced" 2f out\\kept on (${i})`,
    past_results_flags: i % 5 === 0 ? ['C', 'D'] : [],
    odds: [{ bookmaker: 'Bet365', fractional: '5/2', decimal: '3.5' }],
    position: String((i % 12) + 1),
    position_num: (i % 12) + 1,
    sp: '5/2',
    sp_dec: 3.5,
    btn: (i % 12) * 1.25,
    ovr_btn: (i % 12) * 1.5,
    time_seconds: 245.31 + (i % 7),
    prize_amount: i % 12 < 4 ? 3140.5 : null,
    prize_currency: 'GBP',
  };
}

/** The kit's way: upsertRows builds the column arrays and hands them to this stand-in connection. */
async function kit(rows: readonly Row[]): Promise<number> {
  let chars = 0;
  const db = {
    unsafe(_statement: string, params: string[]) {
      for (const p of params) chars += p.length;
      return { execute: () => Promise.resolve([{ inserted: 0, updated: 0 }]) };
    },
  };
  await upsertRows(db as never, RUNNERS, rows);
  return chars;
}

/** The library's way: one JS array per column, serialised by pg. */
async function library(rows: readonly Row[]): Promise<number> {
  const unique = dedupeRows(rows, RUNNERS.key);
  const columns = Object.keys(RUNNERS.columns).filter((c) => unique.some((row) => row[c] !== undefined));
  let chars = 0;
  for (let at = 0; at < unique.length; at += 5000) {
    const chunk = unique.slice(at, at + 5000);
    for (const c of columns) chars += String(prepareValue(chunk.map((row) => row[c] ?? null))).length;
  }
  return chars;
}

async function time(fn: () => Promise<number>): Promise<number> {
  const started = performance.now();
  if ((await fn()) <= 0) throw new Error('nothing encoded');
  return performance.now() - started;
}

export const arrayLiteral: Benchmark = {
  name: 'array-literal',
  description: "the loader's array-literal encoder beside pg's prepareValue on runner column arrays",
  options: (cmd) =>
    cmd
      .option('--runners <n>', 'runner rows (a results day has ~600)', positiveInt, 20_000)
      .option('--rounds <n>', 'timed rounds of each, alternating', positiveInt, 9),
  async run(opts) {
    const rounds = opts.rounds as number;
    const rows = Array.from({ length: opts.runners as number }, (_, i) => runner(i));
    await time(() => kit(rows));
    await time(() => library(rows));
    const kitMs: number[] = [];
    const libMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      kitMs.push(await time(() => kit(rows)));
      libMs.push(await time(() => library(rows)));
    }
    const k = median(kitMs);
    const l = median(libMs);
    const ratio = l / k;
    console.log(`${rows.length} ra_mst_runners rows, median of ${rounds} rounds`);
    console.log(`kit (arrayElement/arrayLiteral via upsertRows)  ${k.toFixed(1).padStart(7)} ms`);
    console.log(`pg prepareValue                                 ${l.toFixed(1).padStart(7)} ms`);
    console.log(
      `ratio (library / kit): ${ratio.toFixed(2)}x (target: at least ${TARGET_RATIO}x to keep the encoder)`,
    );
    return ratio >= TARGET_RATIO;
  },
};
