import { describe, expect, test } from 'vitest';
import { parseCadence, parseDuration } from '../../../src/betfair/stream/cadence.ts';
import type { StreamRecord } from '../../../src/betfair/stream/read.ts';
import { type ReplayEvent, type ReplayOptions, StreamReplayer } from '../../../src/betfair/stream/replay.ts';
import type { MarketDefinition, McmMessage, RunnerChange } from '../../../src/betfair/stream/types.ts';

const M = '1.228000001';
const OFF = Date.parse('2024-06-14T13:30:00.000Z');
const A = 111;
const B = 222;
const C = 333;

function def(over: Partial<MarketDefinition> = {}, runners?: MarketDefinition['runners']): MarketDefinition {
  return {
    marketType: 'WIN',
    eventTypeId: '7',
    eventName: 'Kemp 14th Jun',
    venue: 'Kempton',
    countryCode: 'GB',
    name: '1m Hcap',
    marketTime: new Date(OFF).toISOString(),
    status: 'OPEN',
    inPlay: false,
    turnInPlayEnabled: true,
    bspReconciled: false,
    numberOfWinners: 1,
    runners: runners ?? [
      { id: A, sortPriority: 1, status: 'ACTIVE', adjustmentFactor: 40, name: 'Alpha' },
      { id: B, sortPriority: 2, status: 'ACTIVE', adjustmentFactor: 35, name: 'Bravo' },
      { id: C, sortPriority: 3, status: 'ACTIVE', adjustmentFactor: 25, name: 'Charlie' },
    ],
    ...over,
  };
}

const msg = (pt: number, mc: Omit<NonNullable<McmMessage['mc']>[number], 'id'>, id = M): McmMessage => ({
  op: 'mcm',
  pt,
  clk: String(pt),
  mc: [{ id, ...mc }],
});
const rc = (...changes: RunnerChange[]) => ({ rc: changes });

function replay(messages: McmMessage[], options: ReplayOptions = { cadence: { kind: 'every-change' } }) {
  const replayer = new StreamReplayer(options);
  const events: ReplayEvent[] = [];
  messages.forEach((message, i) => {
    const record: StreamRecord = { kind: 'message', message, file: 'mem', entry: null, line: i + 1 };
    events.push(...replayer.push(record));
  });
  events.push(...replayer.end());
  return events;
}
const snapshots = (events: ReplayEvent[]) =>
  events.flatMap((e) => (e.kind === 'snapshot' ? [e.snapshot] : []));
const last = (events: ReplayEvent[]) => snapshots(events).at(-1)!;
const runnerOf = (events: ReplayEvent[], id: number, at = -1) =>
  snapshots(events)
    .at(at)!
    .book.runners.find((r) => r.selectionId === id)!;

const T0 = OFF - 3_600_000;
const image = (pt = T0) =>
  msg(pt, {
    img: true,
    tv: 100,
    marketDefinition: def(),
    rc: [
      {
        id: A,
        atb: [
          [3.0, 10],
          [2.98, 20],
          [2.96, 30],
        ],
        atl: [
          [3.05, 11],
          [3.1, 21],
        ],
        batb: [
          [0, 3.0, 10],
          [1, 2.98, 20],
          [2, 2.96, 30],
        ],
        trd: [[3.0, 50]],
        ltp: 3.0,
        tv: 50,
      },
      { id: B, atb: [[5.0, 7]], atl: [[5.2, 8]], ltp: 5.1, tv: 50 },
    ],
  });

describe('market cache', () => {
  test('an image gives a listMarketBook-shaped book, best price first, runners in definition order', () => {
    const book = last(replay([image()])).book;
    expect(book).toMatchObject({
      marketId: M,
      publishTime: T0,
      status: 'OPEN',
      inplay: false,
      totalMatched: 100,
      numberOfRunners: 3,
      numberOfActiveRunners: 3,
    });
    expect(book.runners.map((r) => r.selectionId)).toEqual([A, B, C]);
    expect(book.runners[0]).toEqual({
      selectionId: A,
      handicap: 0,
      status: 'ACTIVE',
      adjustmentFactor: 40,
      lastPriceTraded: 3.0,
      totalMatched: 50,
      sp: { backStakeTaken: [], layLiabilityTaken: [] },
      ex: {
        availableToBack: [
          { price: 3.0, size: 10 },
          { price: 2.98, size: 20 },
          { price: 2.96, size: 30 },
        ],
        availableToLay: [
          { price: 3.05, size: 11 },
          { price: 3.1, size: 21 },
        ],
        tradedVolume: [{ price: 3.0, size: 50 }],
      },
    });
    // A runner of the definition without prices still appears, with empty ladders.
    expect(book.runners[2]?.ex).toEqual({ availableToBack: [], availableToLay: [], tradedVolume: [] });
  });

  test('atb/atl are keyed by price: a delta replaces the size there, size 0 deletes the price, order is kept', () => {
    const events = replay([
      image(),
      msg(
        T0 + 1000,
        rc({
          id: A,
          atb: [
            [2.98, 0],
            [3.05, 5],
            [2.96, 31],
          ],
          atl: [[3.1, 0]],
        }),
      ),
    ]);
    expect(runnerOf(events, A).ex.availableToBack).toEqual([
      { price: 3.05, size: 5 },
      { price: 3.0, size: 10 },
      { price: 2.96, size: 31 },
    ]);
    expect(runnerOf(events, A).ex.availableToLay).toEqual([{ price: 3.05, size: 11 }]);
  });

  test('batb is keyed by level: size 0 deletes that level, not a price; levels arrive in any order', () => {
    // Only level ladders (as in ADVANCED files), so the book shows them.
    const events = replay([
      msg(T0, {
        img: true,
        marketDefinition: def(),
        rc: [
          {
            id: A,
            batb: [
              [2, 2.96, 30],
              [0, 3.0, 10],
              [1, 2.98, 20],
            ],
            batl: [[0, 3.05, 9]],
          },
        ],
      }),
      msg(
        T0 + 1000,
        rc({
          id: A,
          batb: [
            [1, 0, 0],
            [0, 3.05, 4],
          ],
        }),
      ),
    ]);
    expect(runnerOf(events, A, 0).ex.availableToBack.map((l) => l.price)).toEqual([3.0, 2.98, 2.96]);
    expect(runnerOf(events, A).ex.availableToBack).toEqual([
      { price: 3.05, size: 4 },
      { price: 2.96, size: 30 },
    ]);
    expect(runnerOf(events, A).ex.availableToLay).toEqual([{ price: 3.05, size: 9 }]);
  });

  test('the full ladder wins over display levels, which win over best levels (as betfairlightweight)', () => {
    const events = replay([
      msg(T0, {
        img: true,
        marketDefinition: def(),
        rc: [
          { id: A, atb: [[3.0, 10]], bdatb: [[0, 2.9, 99]], batb: [[0, 2.8, 98]] },
          { id: B, bdatb: [[0, 4.9, 97]], batb: [[0, 4.8, 96]] },
          { id: C, batb: [[0, 6.8, 95]] },
        ],
      }),
    ]);
    expect(runnerOf(events, A).ex.availableToBack).toEqual([{ price: 3.0, size: 10 }]);
    expect(runnerOf(events, B).ex.availableToBack).toEqual([{ price: 4.9, size: 97 }]);
    expect(runnerOf(events, C).ex.availableToBack).toEqual([{ price: 6.8, size: 95 }]);
  });

  test('trd sizes are totals at that price: replaced, never added', () => {
    const events = replay([
      image(),
      msg(
        T0 + 1000,
        rc({
          id: A,
          trd: [
            [3.0, 60],
            [3.05, 2],
          ],
          ltp: 3.05,
          tv: 62,
        }),
      ),
      msg(T0 + 2000, rc({ id: A, trd: [[3.0, 65]], tv: 67 })),
    ]);
    expect(runnerOf(events, A).ex.tradedVolume).toEqual([
      { price: 3.0, size: 65 },
      { price: 3.05, size: 2 },
    ]);
    expect(runnerOf(events, A)).toMatchObject({ lastPriceTraded: 3.05, totalMatched: 67 });
  });

  test('an image mid-file replaces the cached market instead of merging into it', () => {
    const events = replay([
      image(),
      msg(T0 + 1000, { tv: 150, ...rc({ id: B, atb: [[4.9, 3]] }) }),
      msg(T0 + 2000, {
        img: true,
        tv: 160,
        marketDefinition: def(),
        rc: [{ id: A, atb: [[3.0, 12]], atl: [[3.05, 13]] }],
      }),
    ]);
    const book = last(events).book;
    expect(book.totalMatched).toBe(160);
    expect(runnerOf(events, A).ex.availableToBack).toEqual([{ price: 3.0, size: 12 }]);
    expect(runnerOf(events, A).ex.tradedVolume).toEqual([]);
    expect(runnerOf(events, A).lastPriceTraded).toBeUndefined();
    expect(runnerOf(events, B).ex.availableToBack).toEqual([]);
  });

  test('conflated messages apply like any other', () => {
    const events = replay([
      image(),
      msg(T0 + 1000, {
        con: true,
        ...rc(
          {
            id: A,
            atb: [
              [3.0, 0],
              [3.05, 1],
            ],
          },
          { id: B, ltp: 5.0 },
        ),
      }),
    ]);
    expect(runnerOf(events, A).ex.availableToBack[0]).toEqual({ price: 3.05, size: 1 });
    expect(runnerOf(events, B).lastPriceTraded).toBe(5.0);
  });

  test('SP fields: spn, spf, spb (back stake), spl (lay liability); "NaN" is dropped', () => {
    const events = replay([
      image(),
      msg(
        T0 + 1000,
        rc({
          id: A,
          spn: 3.1,
          spf: 3.0,
          spb: [[1.01, 20]],
          spl: [
            [1000, 15],
            [500, 5],
          ],
        }),
      ),
      msg(T0 + 2000, rc({ id: B, spn: 'NaN', spf: 'Infinity' })),
    ]);
    expect(runnerOf(events, A).sp).toEqual({
      nearPrice: 3.1,
      farPrice: 3.0,
      backStakeTaken: [{ price: 1.01, size: 20 }],
      layLiabilityTaken: [
        { price: 500, size: 5 },
        { price: 1000, size: 15 },
      ],
    });
    expect(runnerOf(events, B).sp).toEqual({ backStakeTaken: [], layLiabilityTaken: [] });
  });

  test('definition changes: a removal, suspension, closing with winners, and BSP once reconciled', () => {
    const removed = def({}, [
      { id: A, sortPriority: 1, status: 'ACTIVE', adjustmentFactor: 55, name: 'Alpha' },
      {
        id: B,
        sortPriority: 2,
        status: 'REMOVED',
        adjustmentFactor: 35,
        removalDate: '2024-06-14T11:00:00.000Z',
        name: 'Bravo',
      },
      { id: C, sortPriority: 3, status: 'ACTIVE', adjustmentFactor: 45, name: 'Charlie' },
    ]);
    const settled = (status: string, bspReconciled: boolean, inPlay: boolean) =>
      def({ status, bspReconciled, inPlay }, [
        {
          id: A,
          sortPriority: 1,
          status: status === 'CLOSED' ? 'WINNER' : 'ACTIVE',
          adjustmentFactor: 55,
          bsp: 3.2,
        },
        {
          id: B,
          sortPriority: 2,
          status: 'REMOVED',
          adjustmentFactor: 35,
          removalDate: '2024-06-14T11:00:00.000Z',
        },
        {
          id: C,
          sortPriority: 3,
          status: status === 'CLOSED' ? 'LOSER' : 'ACTIVE',
          adjustmentFactor: 45,
          bsp: 'NaN',
        },
      ]);
    const events = replay([
      image(),
      msg(T0 + 1000, { marketDefinition: removed }),
      msg(OFF + 60_000, { marketDefinition: settled('OPEN', true, true) }),
      msg(OFF + 120_000, { marketDefinition: settled('SUSPENDED', true, true) }),
      msg(OFF + 180_000, { marketDefinition: settled('CLOSED', true, true), ...rc({ id: A, ltp: 1.01 }) }),
    ]);
    const s = snapshots(events);
    expect(s[1]?.book.runners[1]).toMatchObject({
      status: 'REMOVED',
      adjustmentFactor: 35,
      removalDate: '2024-06-14T11:00:00.000Z',
    });
    expect(s[1]?.book.numberOfActiveRunners).toBe(2);
    expect(s.map((x) => [x.book.status, x.book.inplay])).toEqual([
      ['OPEN', false],
      ['OPEN', false],
      ['OPEN', true],
      ['SUSPENDED', true],
      ['CLOSED', true],
    ]);
    const final = last(events);
    expect(final.reasons).toContain('final');
    expect(final.book.bspReconciled).toBe(true);
    expect(runnerOf(events, A)).toMatchObject({
      status: 'WINNER',
      lastPriceTraded: 1.01,
      sp: { actualSP: 3.2 },
    });
    expect(runnerOf(events, C).status).toBe('LOSER');
    expect(runnerOf(events, C).sp.actualSP).toBeUndefined();
    const market = events.find((e) => e.kind === 'market');
    expect(market?.kind === 'market' && market.market).toEqual({
      marketId: M,
      eventTypeId: '7',
      eventName: 'Kemp 14th Jun',
      venue: 'Kempton',
      countryCode: 'GB',
      marketTime: '2024-06-14T13:30:00.000Z',
      marketType: 'WIN',
      name: '1m Hcap',
      numberOfWinners: 1,
      status: 'CLOSED',
      inPlay: true,
      bspReconciled: true,
      runners: [
        { selectionId: A, handicap: 0, sortPriority: 1, status: 'WINNER', adjustmentFactor: 55, bsp: 3.2 },
        {
          selectionId: B,
          handicap: 0,
          sortPriority: 2,
          status: 'REMOVED',
          adjustmentFactor: 35,
          removalDate: '2024-06-14T11:00:00.000Z',
        },
        { selectionId: C, handicap: 0, sortPriority: 3, status: 'LOSER', adjustmentFactor: 45 },
      ],
    });
  });

  test('actualSP waits for bspReconciled', () => {
    const events = replay([
      msg(T0, { img: true, marketDefinition: def({}, [{ id: A, status: 'ACTIVE', bsp: 3.3 }]) }),
    ]);
    expect(runnerOf(events, A).sp.actualSP).toBeUndefined();
  });
});

/** A market that changes every 400 ms from T0 for `n` changes, then goes in play and closes. */
function busyMarket(n: number, inPlayAt = OFF + 30_000): McmMessage[] {
  const out = [image()];
  for (let i = 1; i <= n; i++) out.push(msg(T0 + i * 400, rc({ id: A, atb: [[3.0, 10 + i]] })));
  out.push(msg(inPlayAt, { marketDefinition: def({ inPlay: true }) }));
  out.push(msg(inPlayAt + 1000, rc({ id: A, ltp: 2.5 })));
  out.push(msg(inPlayAt + 60_000, { marketDefinition: def({ inPlay: true, status: 'CLOSED' }) }));
  return out;
}

describe('cadence', () => {
  test('every change: one snapshot per publish time, strictly increasing; same-pt messages are one state', () => {
    const events = replay([
      image(),
      msg(T0 + 500, rc({ id: A, atb: [[3.0, 1]] })),
      msg(T0 + 500, rc({ id: A, atb: [[3.0, 2]] })),
      msg(T0 + 900, rc({ id: A, atb: [[3.0, 3]] })),
    ]);
    const s = snapshots(events);
    expect(s.map((x) => x.publishTime)).toEqual([T0, T0 + 500, T0 + 900]);
    expect(s[1]?.book.runners[0]?.ex.availableToBack[0]).toEqual({ price: 3.0, size: 2 });
    expect(s.map((x) => x.reasons)).toEqual([['change'], ['change'], ['change', 'final']]);
    for (const x of s) expect(x.book.publishTime).toBe(x.publishTime);
  });

  test('every 1s: the last state of each second, plus the pre-off and final states', () => {
    const events = replay(busyMarket(10), { cadence: parseCadence({ every: '1s' }) });
    const s = snapshots(events);
    const times = s.map((x) => x.publishTime);
    // changes at T0, +400, +800 | +1200, +1600 | +2000, +2400, +2800 | +3200, +3600 | +4000
    expect(times.slice(0, 5)).toEqual([T0 + 800, T0 + 1600, T0 + 2800, T0 + 3600, T0 + 4000]);
    expect(s[0]?.book.runners[0]?.ex.availableToBack[0]?.size).toBe(12);
    const preOff = s.find((x) => x.reasons.includes('pre-off'))!;
    expect(preOff.publishTime).toBe(T0 + 4000);
    expect(preOff.book.inplay).toBe(false);
    expect(s.at(-1)?.reasons).toContain('final');
    expect(s.at(-1)?.book.status).toBe('CLOSED');
    expect(new Set(times).size).toBe(times.length);
  });

  test('at offsets from the scheduled off: the state at each time; pre-off and final always', () => {
    const events = replay(busyMarket(10), { cadence: parseCadence({ at: '-60m,-10m,0,-90m' }) });
    const s = snapshots(events);
    // The in-play flip comes 30 s after the scheduled off; the last change before it was at T0 + 4 s.
    expect(s.map((x) => [x.publishTime - OFF, x.reasons])).toEqual([
      [-3_600_000, ['at']], // T0 is exactly -60m: the image state
      [-3_600_000 + 4000, ['pre-off']],
      [-600_000, ['at']],
      [0, ['at']],
      [30_000 + 60_000, ['final']],
    ]);
    // -90m lies before the file's first message: no state, no snapshot. -10m shows the last change.
    expect(s[2]?.book.runners[0]?.ex.availableToBack[0]?.size).toBe(20);
    expect(s[1]?.book.inplay).toBe(false);
    expect(s[3]?.book.inplay).toBe(false);
  });

  test('a market that never turns in play: pre-off is the last state at or before marketTime', () => {
    const noInPlay = def({ turnInPlayEnabled: false });
    const events = replay(
      [
        msg(OFF - 5000, { img: true, marketDefinition: noInPlay, ...rc({ id: A, ltp: 3 }) }),
        msg(OFF - 1000, rc({ id: A, ltp: 3.1 })),
        msg(OFF + 5000, rc({ id: A, ltp: 3.2 })),
      ],
      { cadence: { kind: 'every', ms: 3_600_000 } },
    );
    expect(snapshots(events).map((x) => [x.publishTime - OFF, x.reasons])).toEqual([
      [-1000, ['pre-off']],
      [5000, ['every', 'final']],
    ]);
  });

  test('the market filter keeps only the chosen marketTypes', () => {
    const place = (pt: number) =>
      msg(pt, { img: true, marketDefinition: def({ marketType: 'PLACE' }) }, '1.2');
    const events = replay([image(), place(T0), msg(T0 + 100, rc({ id: A, ltp: 3 }))], {
      cadence: { kind: 'every-change' },
      marketTypes: ['WIN'],
    });
    expect(new Set(snapshots(events).map((x) => x.marketId))).toEqual(new Set([M]));
    expect(events.filter((e) => e.kind === 'market').length).toBe(1);
  });

  test('the same messages give the same events (idempotent replay)', () => {
    const options = { cadence: parseCadence({ every: '1s' }) };
    expect(replay(busyMarket(30), options)).toEqual(replay(busyMarket(30), options));
  });
});

describe('cadence options', () => {
  test('durations and offsets', () => {
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('-10m')).toBe(-600_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('0')).toBe(0);
    expect(parseCadence({})).toEqual({ kind: 'every-change' });
    expect(parseCadence({ at: '0, -1m,-60m' })).toEqual({ kind: 'at', offsetsMs: [-3_600_000, -60_000, 0] });
    expect(() => parseDuration('10')).toThrow('needs a unit');
    expect(() => parseDuration('soon')).toThrow('not a duration');
    expect(() => parseCadence({ every: '0s' })).toThrow('positive');
    expect(() => parseCadence({ every: '1s', at: '0' })).toThrow('choose one');
  });
});
