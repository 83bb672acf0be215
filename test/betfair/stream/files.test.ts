import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  archiveMemberName,
  generateWinMarket,
  type WinMarketOptions,
} from '../../../src/betfair/stream/generate.ts';
import { readStreamFile, type StreamRecord } from '../../../src/betfair/stream/read.ts';
import {
  type ReplayEvent,
  replayStreamFile,
  type StreamSnapshot,
} from '../../../src/betfair/stream/replay.ts';
import type { McmMessage } from '../../../src/betfair/stream/types.ts';
import { type Compression, writeStreamFile, writeStreamTar } from '../../../src/betfair/stream/write.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stream-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const WIN: WinMarketOptions = {
  marketId: '1.228512345',
  eventId: '33371234',
  marketTime: '2024-06-14T13:30:00.000Z',
  runners: 8,
  venue: 'Kempton',
  eventName: 'Kemp 14th Jun',
  seed: 7,
};

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
const snapshotsOf = (events: ReplayEvent[]): StreamSnapshot[] =>
  events.flatMap((e) => (e.kind === 'snapshot' ? [e.snapshot] : []));
const messagesOf = (records: StreamRecord[]) =>
  records.flatMap((r) => (r.kind === 'message' ? [r.message] : []));

async function writeMarket(name: string, compression: Compression, options = WIN): Promise<string> {
  const path = join(dir, name);
  await writeStreamFile(path, generateWinMarket(options), compression);
  return path;
}

describe('reading stream files', () => {
  test('plain, gzip and bzip2 files give the same messages, detected by content, not by name', async () => {
    const expected = [...generateWinMarket(WIN)];
    for (const [name, compression] of [
      ['plain.json', 'none'],
      ['gzipped.bin', 'gzip'],
      ['bzipped.bz2', 'bzip2'],
    ] as const) {
      const path = await writeMarket(name, compression);
      const records = await collect(readStreamFile(path));
      expect(records.every((r) => r.kind === 'message' && r.file === path && r.entry === null)).toBe(true);
      expect(messagesOf(records)).toEqual(expected);
      expect(records.map((r) => r.line)).toEqual(expected.map((_, i) => i + 1));
    }
    expect((await readFile(join(dir, 'bzipped.bz2'))).subarray(0, 3).toString()).toBe('BZh');
  });

  test('a malformed line is recorded with its line number and reading goes on', async () => {
    const [first, second] = [...generateWinMarket({ ...WIN, preOffDeltas: 3, inPlayDeltas: 1 })];
    const path = join(dir, 'malformed.gz');
    await writeStreamFile(
      path,
      [
        first!,
        '{"op":"mcm","pt":',
        '',
        '{"op":"ocm","id":1}',
        '[1,2]',
        '{"op":"mcm","pt":5,"mc":[{"id":7}]}',
        second!,
      ],
      'gzip',
    );
    const records = await collect(readStreamFile(path));
    expect(
      records.map((r) => (r.kind === 'error' ? `${r.line}: ${r.reason.split(' (')[0]}` : r.line)),
    ).toEqual([
      1,
      '2: not JSON',
      '4: op "ocm" is not "mcm"',
      '5: not a JSON object',
      '6: market change without a string id',
      7,
    ]);
    const events = await collect(replayStreamFile(path, { cadence: { kind: 'every-change' } }));
    expect(events.filter((e) => e.kind === 'error').length).toBe(4);
    expect(snapshotsOf(events).length).toBeGreaterThan(0);
  });

  test('corrupt compressed data fails with one line naming the file', async () => {
    const good = await readFile(await writeMarket('to-corrupt.bz2', 'bzip2'));
    const bad = Buffer.from(good);
    bad.fill(0x55, 100, 400);
    const path = join(dir, 'corrupt.bz2');
    await writeFile(path, bad);
    await expect(collect(readStreamFile(path))).rejects.toThrow(`${path}: cannot decompress`);
  });

  test('a tar of per-market bz2 files in nested folders, as Betfair ships a purchase', async () => {
    const markets = [
      { ...WIN, marketId: '1.228500001', eventId: '33370001', seed: 1 },
      { ...WIN, marketId: '1.228500002', eventId: '33370001', seed: 2, runners: 12 },
      { ...WIN, marketId: '1.228500003', eventId: '33370002', seed: 3, runners: 5 },
    ];
    const path = join(dir, 'purchase.tar');
    await writeStreamTar(
      path,
      markets.map((m, i) => ({
        name: archiveMemberName('PRO', m.marketTime, m.eventId!, m.marketId),
        lines: generateWinMarket(m),
        compression: i === 2 ? ('gzip' as const) : ('bzip2' as const),
      })),
    );
    const records = await collect(readStreamFile(path));
    expect([...new Set(records.map((r) => r.entry))]).toEqual([
      'PRO/2024/Jun/14/33370001/1.228500001.bz2',
      'PRO/2024/Jun/14/33370001/1.228500002.bz2',
      'PRO/2024/Jun/14/33370002/1.228500003.bz2',
    ]);
    expect(records.every((r) => r.kind === 'message')).toBe(true);
    for (const m of markets) {
      const own = records.filter((r) => r.entry?.endsWith(`${m.marketId}.bz2`));
      expect(messagesOf(own)).toEqual([...generateWinMarket(m)]);
      expect(own[0]?.line).toBe(1);
    }
    const events = await collect(replayStreamFile(path, { cadence: { kind: 'at', offsetsMs: [-900_000] } }));
    const infos = events.flatMap((e) => (e.kind === 'market' ? [e] : []));
    expect(infos.map((e) => [e.market.marketId, e.market.runners.length, e.entry])).toEqual([
      ['1.228500001', 8, 'PRO/2024/Jun/14/33370001/1.228500001.bz2'],
      ['1.228500002', 12, 'PRO/2024/Jun/14/33370001/1.228500002.bz2'],
      ['1.228500003', 5, 'PRO/2024/Jun/14/33370002/1.228500003.bz2'],
    ]);
    // Per market: -15m, the pre-off state and the settled state.
    for (const m of markets) {
      const own = snapshotsOf(events).filter((s) => s.marketId === m.marketId);
      expect(own.map((s) => s.reasons)).toEqual([['at'], ['pre-off'], ['final']]);
    }
  });
});

describe('replaying a generated WIN market (bz2)', () => {
  let messages: McmMessage[];
  let snapshots: StreamSnapshot[];
  let events: ReplayEvent[];
  beforeAll(async () => {
    const path = await writeMarket('win.bz2', 'bzip2');
    messages = [...generateWinMarket(WIN)];
    events = await collect(replayStreamFile(path, { cadence: { kind: 'every-change' } }));
    snapshots = snapshotsOf(events);
  });
  const at = (pt: number) => snapshots.find((s) => s.publishTime === pt)!;

  test('one snapshot per message (distinct publish times), in order', () => {
    expect(snapshots.map((s) => s.publishTime)).toEqual(messages.map((m) => m.pt));
    expect(events.filter((e) => e.kind === 'error')).toEqual([]);
  });

  test('ladders stay consistent: at most 3 levels a side, never crossed, no 0 sizes (deletions applied)', () => {
    for (const s of snapshots.filter((x) => x.book.status === 'OPEN')) {
      for (const r of s.book.runners.filter((x) => x.status === 'ACTIVE')) {
        const { availableToBack: back, availableToLay: lay } = r.ex;
        expect(back.length).toBeLessThanOrEqual(3);
        expect(lay.length).toBeLessThanOrEqual(3);
        if (back[0] && lay[0]) expect(back[0].price).toBeLessThan(lay[0].price);
        for (const l of [...back, ...lay, ...r.ex.tradedVolume]) expect(l.size).toBeGreaterThan(0);
      }
    }
  });

  test('a level deleted by size 0 is gone from the next book', () => {
    const deletion = messages.find((m) =>
      m.mc?.[0]?.rc?.some((c) => c.batb?.some(([level, , size]) => level === 2 && size === 0)),
    )!;
    const change = deletion.mc![0]!.rc!.find((c) => c.batb?.some(([l, , s]) => l === 2 && s === 0))!;
    const deleted = change.atb!.filter(([, size]) => size === 0).map(([price]) => price);
    expect(deleted.length).toBeGreaterThan(0);
    const runner = at(deletion.pt).book.runners.find((r) => r.selectionId === change.id)!;
    const prices = runner.ex.availableToBack.map((l) => l.price);
    for (const price of deleted) expect(prices).not.toContain(price);
    expect(runner.ex.availableToBack.length).toBe(2);
  });

  test('the image mid-file replaces the market: a level it no longer holds disappears', () => {
    const images = messages.filter((m) => m.mc?.[0]?.img);
    expect(images.length).toBe(2);
    const image = images[1]!;
    for (const rc of image.mc![0]!.rc!) {
      const runner = at(image.pt).book.runners.find((r) => r.selectionId === rc.id)!;
      const expected = [...rc.atb!].sort((a, b) => b[0] - a[0]).map(([price, size]) => ({ price, size }));
      expect(runner.ex.availableToBack).toEqual(expected);
    }
    const before = snapshots[snapshots.indexOf(at(image.pt)) - 1]!;
    const fav = image.mc![0]!.rc![0]!.id;
    const levels = (s: StreamSnapshot) =>
      s.book.runners.find((r) => r.selectionId === fav)!.ex.availableToBack.length;
    expect(levels(before)).toBe(3);
    expect(levels(at(image.pt))).toBe(2);
  });

  test('the removed runner: REMOVED with removalDate and adjustment factor, empty ladder, others re-weighted', () => {
    const removal = snapshots.find((s) => s.book.runners[1]?.status === 'REMOVED')!;
    const gone = removal.book.runners[1]!;
    expect(gone.removalDate).toMatch(/^2024-06-14T\d\d:\d\d:\d\d\.000Z$/);
    expect(gone.adjustmentFactor).toBe(12.5);
    expect(gone.ex.availableToBack).toEqual([]);
    expect(removal.book.numberOfActiveRunners).toBe(7);
    expect(removal.book.runners[0]?.adjustmentFactor).toBe(14.29);
  });

  test('the in-play flip: the pre-off snapshot is the last one not in play; suspension and closing follow', () => {
    const preOff = snapshots.findIndex((s) => s.reasons.includes('pre-off'));
    expect(snapshots[preOff]?.book.inplay).toBe(false);
    expect(snapshots[preOff + 1]?.book.inplay).toBe(true);
    expect(snapshots.slice(0, preOff + 1).every((s) => s.book.inplay === false)).toBe(true);
    const statuses = snapshots.map((s) => s.book.status);
    expect(statuses.indexOf('SUSPENDED')).toBeGreaterThan(preOff);
    expect(statuses.at(-1)).toBe('CLOSED');
    expect(snapshots[preOff + 1]?.book.betDelay).toBe(1);
  });

  test('the final state is settled with a reconciled BSP for every runner that ran', () => {
    const final = snapshots.at(-1)!;
    expect(final.reasons).toContain('final');
    expect(final.book.bspReconciled).toBe(true);
    const ran = final.book.runners.filter((r) => r.status !== 'REMOVED');
    expect(ran.filter((r) => r.status === 'WINNER').length).toBe(1);
    expect(ran.filter((r) => r.status === 'LOSER').length).toBe(6);
    for (const r of ran) expect(r.sp.actualSP).toBeGreaterThan(1);
    expect(final.book.runners[1]?.sp.actualSP).toBeUndefined();
    const market = events.find((e) => e.kind === 'market');
    expect(market?.kind === 'market' && market.market).toMatchObject({
      marketId: WIN.marketId,
      eventTypeId: '7',
      marketType: 'WIN',
      venue: 'Kempton',
      countryCode: 'GB',
      eventName: 'Kemp 14th Jun',
      marketTime: '2024-06-14T13:30:00.000Z',
      status: 'CLOSED',
      bspReconciled: true,
    });
    if (market?.kind !== 'market') throw new Error('no market event');
    expect(market.market.runners.filter((r) => r.bsp !== undefined).length).toBe(7);
    expect(market.market.runners[0]).toMatchObject({ name: 'Runner 1', sortPriority: 1 });
  });

  test('SP projections reach the book before the off', () => {
    const preOff = snapshots.find((s) => s.reasons.includes('pre-off'))!;
    for (const r of preOff.book.runners.filter((x) => x.status === 'ACTIVE')) {
      expect(r.sp.nearPrice).toBeGreaterThan(1);
      expect(r.sp.farPrice).toBeGreaterThan(1);
      expect(r.sp.backStakeTaken.length).toBe(1);
      expect(r.sp.layLiabilityTaken.length).toBe(1);
    }
  });

  test('the same file replayed again gives the same snapshots', async () => {
    const again = await collect(
      replayStreamFile(join(dir, 'win.bz2'), { cadence: { kind: 'every-change' } }),
    );
    expect(JSON.stringify(snapshotsOf(again))).toBe(JSON.stringify(snapshots));
  });
});

test('a 24-runner market every second: all runners in every book, settled at the end', async () => {
  const path = await writeMarket('big.bz2', 'bzip2', { ...WIN, runners: 24, seed: 24, preOffDeltas: 120 });
  const events = await collect(
    replayStreamFile(path, { cadence: { kind: 'every', ms: 1000 }, marketTypes: ['WIN'] }),
  );
  const snapshots = snapshotsOf(events);
  expect(snapshots.length).toBeGreaterThan(100);
  for (const s of snapshots) expect(s.book.runners.length).toBe(24);
  expect(snapshots.at(-1)?.book.numberOfActiveRunners).toBe(0);
  expect(snapshots.at(-1)?.book.runners.filter((r) => r.status === 'LOSER').length).toBe(22);
  const skipped = await collect(
    replayStreamFile(path, { cadence: { kind: 'every', ms: 1000 }, marketTypes: ['PLACE'] }),
  );
  expect(skipped).toEqual([]);
});
