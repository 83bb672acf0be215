import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importStreamFile } from '../../../src/betfair/ingest-stream.ts';
import { ingestMarketBooks } from '../../../src/betfair/market-books.ts';
import { backfillRunnerMetrics, RUNNER_METRIC_COLUMNS } from '../../../src/betfair/runner-metrics.ts';
import {
  generateWinMarket,
  type McmMessage,
  writeStreamFile,
  writeStreamTar,
} from '../../../src/betfair/stream/index.ts';
import { useTestDatabase } from '../../helpers/db.ts';

const db = useTestDatabase();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stream-db-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const EVERY_CHANGE = { cadence: { kind: 'every-change' } as const };
const WIN = {
  marketId: '1.228000001',
  marketTime: '2024-06-14T13:30:00.000Z',
  runners: 24,
  venue: 'Kempton',
  seed: 11,
};

describe('importing stream files into the database', () => {
  test('a bz2 24-runner WIN market: snapshots, every runner, per-runner metrics, BSP and removals', async () => {
    const path = join(dir, 'win.bz2');
    await writeStreamFile(path, generateWinMarket(WIN), 'bzip2');
    const c = await importStreamFile(db.sql, path, EVERY_CHANGE);
    expect(c.alreadyImported).toBe(false);
    expect(c.markets).toBe(1);
    expect(c.inserted).toBeGreaterThan(50);
    expect(c.runnerRows).toBe(c.inserted * 24);

    const [market] = await db.sql`select * from betfair_markets where market_id = ${WIN.marketId}`;
    expect(market).toMatchObject({
      venue: 'Kempton',
      market_type: 'WIN',
      event_type_id: '7',
      status: 'CLOSED',
    });
    expect(market?.bsp_reconciled).toBe(true);

    const runners = await db.sql`
      select selection_id, status, removal_date, adjustment_factor, bsp from market_runners
      where market_id = ${WIN.marketId} order by sort_priority`;
    expect(runners).toHaveLength(24);
    const removed = runners.filter((r) => r.status === 'REMOVED');
    expect(removed).toHaveLength(1);
    expect(removed[0]?.removal_date).not.toBeNull();
    expect(removed[0]?.bsp).toBeNull();
    expect(runners.filter((r) => r.status === 'WINNER')).toHaveLength(1);
    expect(runners.filter((r) => r.status !== 'REMOVED').every((r) => r.bsp > 1)).toBe(true);

    // The final snapshot is the settled state, with the BSP as actualSP; its runner rows say who won.
    const [final] = await db.sql`
      select snapshot_id, status, source, raw_payload from market_book_snapshots
      where market_id = ${WIN.marketId} order by snapshot_at desc limit 1`;
    expect(final).toMatchObject({ status: 'CLOSED', source: 'stream' });
    const winner = (
      (final?.raw_payload.runners ?? []) as Array<{ status: string; sp: { actualSP?: number } }>
    ).find((r) => r.status === 'WINNER');
    expect(winner?.sp.actualSP).toBeGreaterThan(1);
    const [rows] = await db.sql`
      select count(*)::int as n, count(*) filter (where status = 'REMOVED' and back_price_l1 is null)::int as removed
      from market_runner_metrics where snapshot_id = ${final?.snapshot_id}`;
    expect(rows).toEqual({ n: 24, removed: 1 });

    // The three-role table is for MATCH_ODDS markets with a catalogue: a WIN market gets none.
    const [derived] = await db.sql`
      select count(*)::int as n from market_derived_metrics where market_id = ${WIN.marketId}`;
    expect(derived?.n).toBe(0);

    // An in-play flip and suspension are in the stored snapshots.
    const states = await db.sql`
      select distinct status, inplay from market_book_snapshots where market_id = ${WIN.marketId}`;
    expect(states).toEqual(
      expect.arrayContaining([
        { status: 'OPEN', inplay: false },
        { status: 'OPEN', inplay: true },
        expect.objectContaining({ status: 'SUSPENDED' }),
      ]),
    );
  });

  test('importing the same bytes again (under another name too) stores nothing new', async () => {
    const path = join(dir, 'again.gz');
    const options = { ...WIN, marketId: '1.228000002', runners: 8, seed: 12 };
    await writeStreamFile(path, generateWinMarket(options), 'gzip');
    const first = await importStreamFile(db.sql, path, EVERY_CHANGE);
    expect(first.inserted).toBeGreaterThan(0);
    const count = async () =>
      (await db.sql`select count(*)::int as n from market_book_snapshots where market_id = '1.228000002'`)[0]
        ?.n;
    const before = await count();
    expect(await importStreamFile(db.sql, path, EVERY_CHANGE)).toMatchObject({ alreadyImported: true });
    const copy = join(dir, 'copy.gz');
    await copyFile(path, copy);
    expect(await importStreamFile(db.sql, copy, EVERY_CHANGE)).toMatchObject({ alreadyImported: true });
    // Other bytes, same market: read again, every snapshot already stored.
    const bz = join(dir, 'again.bz2');
    await writeStreamFile(bz, generateWinMarket(options), 'bzip2');
    const third = await importStreamFile(db.sql, bz, EVERY_CHANGE);
    expect(third).toMatchObject({ alreadyImported: false, inserted: 0, runnerRows: 0 });
    expect(await count()).toBe(before);
  });

  test('a tar of bz2 members with --markets keeps only the chosen type; a truncated file stores nothing', async () => {
    const path = join(dir, 'archive.tar');
    const a = { ...WIN, marketId: '1.228000003', runners: 6, seed: 13 };
    await writeStreamTar(path, [
      { name: 'PRO/2024/Jun/14/33000000/1.228000003.bz2', lines: generateWinMarket(a), compression: 'bzip2' },
    ]);
    const none = await importStreamFile(db.sql, path, { ...EVERY_CHANGE, marketTypes: ['PLACE'] });
    expect(none).toMatchObject({ markets: 0, inserted: 0 });
    expect(none.messages).toBeGreaterThan(50);

    const truncated = join(dir, 'truncated.bz2');
    const whole = join(dir, 'whole.bz2');
    await writeStreamFile(whole, generateWinMarket({ ...a, marketId: '1.228000004' }), 'bzip2');
    const bytes = await readFile(whole);
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(importStreamFile(db.sql, truncated, EVERY_CHANGE)).rejects.toThrow();
    const [n] =
      await db.sql`select count(*)::int as n from market_book_snapshots where market_id = '1.228000004'`;
    expect(n?.n).toBe(0);
  });
});

// A MATCH_ODDS market written as stream messages by hand, and the listMarketBook a REST client would have
// received for its last state: both through the database give the same metrics.
const T0 = Date.parse('2024-03-02T15:00:00Z');
const MO_RUNNERS = [
  { id: 11, name: 'Home FC', sortPriority: 1, status: 'ACTIVE' },
  { id: 12, name: 'Away FC', sortPriority: 2, status: 'ACTIVE' },
  { id: 13, name: 'The Draw', sortPriority: 3, status: 'ACTIVE' },
];
function matchOddsMessages(marketId: string): McmMessage[] {
  const marketDefinition = {
    status: 'OPEN',
    inPlay: false,
    marketTime: '2024-03-02T17:30:00.000Z',
    marketType: 'MATCH_ODDS',
    eventTypeId: '1',
    runners: MO_RUNNERS,
  };
  return [
    {
      op: 'mcm',
      pt: T0,
      mc: [
        {
          id: marketId,
          img: true,
          tv: 900,
          marketDefinition,
          rc: [
            {
              id: 11,
              atb: [
                [2.0, 100],
                [1.99, 50],
                [1.98, 20],
              ],
              atl: [
                [2.02, 30],
                [2.04, 10],
              ],
              ltp: 2.0,
              tv: 500,
            },
            {
              id: 12,
              batb: [
                [0, 3.5, 40],
                [1, 3.45, 10],
              ],
              batl: [[0, 3.6, 15]],
              ltp: 3.5,
              tv: 300,
            },
            {
              id: 13,
              atb: [[3.0, 5]],
              atl: [
                [3.1, 7],
                [3.2, 9],
                [3.3, 11],
                [3.4, 1],
              ],
              tv: 100,
            },
          ],
        },
      ],
    },
    {
      op: 'mcm',
      pt: T0 + 1000,
      mc: [
        {
          id: marketId,
          rc: [
            { id: 11, atb: [[2.0, 0]] },
            { id: 12, batb: [[1, 0, 0]] },
          ],
        },
      ],
    },
  ];
}
function restBook(marketId: string) {
  const ps = (pairs: number[][]) => pairs.map(([price, size]) => ({ price, size }));
  const runner = (id: number, back: number[][], lay: number[][], ltp: number | undefined, tv: number) => ({
    selectionId: id,
    handicap: 0,
    status: 'ACTIVE',
    ...(ltp === undefined ? {} : { lastPriceTraded: ltp }),
    totalMatched: tv,
    ex: { availableToBack: ps(back), availableToLay: ps(lay), tradedVolume: [] },
  });
  return {
    marketId,
    publishTime: T0 + 1000,
    status: 'OPEN',
    inplay: false,
    totalMatched: 900,
    runners: [
      runner(
        11,
        [
          [1.99, 50],
          [1.98, 20],
        ],
        [
          [2.02, 30],
          [2.04, 10],
        ],
        2.0,
        500,
      ),
      runner(12, [[3.5, 40]], [[3.6, 15]], 3.5, 300),
      runner(
        13,
        [[3.0, 5]],
        [
          [3.1, 7],
          [3.2, 9],
          [3.3, 11],
          [3.4, 1],
        ],
        undefined,
        100,
      ),
    ],
  };
}

describe('a stream-built book and the equivalent listMarketBook', () => {
  test('give identical three-role and per-runner metrics', async () => {
    for (const id of ['1.300000001', '1.300000002'])
      await db.sql`
        insert into market_event_metadata (market_id, home_selection_id, away_selection_id, draw_selection_id)
        values (${id}, 11, 12, 13)`;
    const path = join(dir, 'match-odds.gz');
    await writeStreamFile(path, matchOddsMessages('1.300000001'), 'gzip');
    await importStreamFile(db.sql, path, EVERY_CHANGE);
    await ingestMarketBooks(db.sql, [restBook('1.300000002')]);
    // The REST path stores no per-runner rows; the backfill fills them.
    const filled = await backfillRunnerMetrics(db.sql, { marketId: '1.300000002' });
    expect(filled).toEqual({ snapshots: 1, rows: 3 });

    const metrics = await db.sql`
      select d.* from market_derived_metrics d
      where d.snapshot_at = ${new Date(T0 + 1000)} and d.market_id in ('1.300000001', '1.300000002')
      order by d.market_id`;
    expect(metrics).toHaveLength(2);
    const strip = ({ snapshot_id, market_id, derived_at, ...rest }: Record<string, unknown>) => rest;
    expect(strip(metrics[0]!)).toEqual(strip(metrics[1]!));
    expect(metrics[0]).toMatchObject({
      total_volume: 900,
      home_best_back: 1.99,
      home_best_back_size_l1: 50,
      home_back_odds_l3: null,
      away_best_back: 3.5,
      away_back_odds_l2: null,
      draw_best_lay: 3.1,
    });

    const cols = RUNNER_METRIC_COLUMNS.join(', ');
    const perRunner = async (id: string) =>
      db.sql.unsafe(
        `select selection_id, ${cols} from market_runner_metrics
         where market_id = $1 and snapshot_at = $2 order by selection_id`,
        [id, new Date(T0 + 1000).toISOString()],
      );
    const stream = await perRunner('1.300000001');
    expect(stream).toHaveLength(3);
    expect(stream).toEqual(await perRunner('1.300000002'));
    expect(stream[0]).toMatchObject({ ltp: 2, traded_volume: 500, back_price_l1: 1.99, lay_price_l2: 2.04 });
    expect(stream[2]).toMatchObject({ ltp: null, lay_price_l3: 3.3, lay_size_l3: 11 });
  });
});
