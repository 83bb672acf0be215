import { MarketCache } from './cache.ts';
import type { Cadence } from './cadence.ts';
import { readStreamFile, type StreamLocation, type StreamRecord } from './read.ts';
import type { MarketInfo, McmMessage, StreamMarketBook } from './types.ts';

/**
 * Why a snapshot was written; one snapshot may have several reasons.
 *   change / every / at: the cadence;
 *   pre-off: the last state before the definition turned in-play (or, for a market that never
 *            turns in-play, the last state at or before its marketTime);
 *   final:   the last state of the market in the file (settled, with BSP, when the file goes that far).
 */
export type SnapshotReason = 'change' | 'every' | 'at' | 'pre-off' | 'final';

export interface StreamSnapshot {
  marketId: string;
  /** What the book stands for, epoch ms: the publish time of its last change, or the `at` target time. */
  publishTime: number;
  reasons: SnapshotReason[];
  /** listMarketBook shape; `book.publishTime` equals `publishTime`. */
  book: StreamMarketBook;
  file: string;
  entry: string | null;
}

export type ReplayEvent =
  | { kind: 'snapshot'; snapshot: StreamSnapshot }
  /** Once per market, when its part of the input ends: metadata and runners from the last definition. */
  | { kind: 'market'; market: MarketInfo; file: string; entry: string | null }
  | ({ kind: 'error'; reason: string } & StreamLocation);

export interface ReplayOptions {
  cadence: Cadence;
  /** Only these marketTypes (WIN, PLACE, MATCH_ODDS...); markets whose type is unknown are skipped too. */
  marketTypes?: readonly string[];
}

interface Tracked {
  cache: MarketCache;
  /** Publish time of the first change seen: no state exists before it. */
  firstPt: number;
  /** Changed since the last cadence snapshot. */
  dirty: boolean;
  /** Stamp of the last snapshot written, so one stamp is never written twice. */
  lastEmitted: number;
  nextAt: number;
  preOffDone: boolean;
  file: string;
  entry: string | null;
}

type Due = { stamp: number; reason: SnapshotReason };

/**
 * Replays mcm messages into per-market caches and decides which states become snapshots. It is
 * synchronous and deterministic (no clock): the same input gives the same events. Snapshots of a
 * market come in strictly increasing publishTime. Markets are closed (final snapshot, market event,
 * cache dropped) when the input moves to another file or archive member, and at end().
 */
export class StreamReplayer {
  private readonly markets = new Map<string, Tracked>();
  private readonly types: ReadonlySet<string> | null;
  private readonly bucketMs: number | null;
  private readonly offsets: readonly number[];
  private where: { file: string; entry: string | null } | null = null;

  constructor(options: ReplayOptions) {
    this.types = options.marketTypes ? new Set(options.marketTypes) : null;
    const c = options.cadence;
    this.bucketMs = c.kind === 'every-change' ? 1 : c.kind === 'every' ? c.ms : null;
    this.offsets = c.kind === 'at' ? [...c.offsetsMs].sort((a, b) => a - b) : [];
  }

  push(record: StreamRecord): ReplayEvent[] {
    const out: ReplayEvent[] = [];
    if (this.where && (this.where.file !== record.file || this.where.entry !== record.entry)) {
      this.closeAll(out);
    }
    this.where = { file: record.file, entry: record.entry };
    if (record.kind === 'error') {
      out.push(record);
      return out;
    }
    this.message(record.message, record, out);
    return out;
  }

  /** Closes every open market: their final snapshots and market events. */
  end(): ReplayEvent[] {
    const out: ReplayEvent[] = [];
    this.closeAll(out);
    this.where = null;
    return out;
  }

  private message(message: McmMessage, at: StreamLocation, out: ReplayEvent[]) {
    for (const change of message.mc ?? []) {
      let t = this.markets.get(change.id);
      if (!t) {
        t = {
          cache: new MarketCache(change.id),
          firstPt: message.pt,
          dirty: false,
          lastEmitted: Number.NEGATIVE_INFINITY,
          nextAt: 0,
          preOffDone: false,
          file: at.file,
          entry: at.entry,
        };
        this.markets.set(change.id, t);
      } else {
        // Files are in publish order; a stray earlier pt is treated as the same instant.
        this.due(t, Math.max(message.pt, t.cache.publishTime), change.marketDefinition?.inPlay === true, out);
      }
      t.cache.apply(change, Math.max(message.pt, t.cache.publishTime));
      t.dirty = true;
    }
  }

  /** Snapshots that fall due before a change at `pt` is applied: they show the state as of now. */
  private due(t: Tracked, pt: number, turnsInPlay: boolean, out: ReplayEvent[]) {
    const c = t.cache;
    const last = c.publishTime;
    const due: Due[] = [];
    if (
      this.bucketMs !== null &&
      t.dirty &&
      Math.floor(pt / this.bucketMs) !== Math.floor(last / this.bucketMs)
    ) {
      due.push({ stamp: last, reason: this.bucketMs === 1 ? 'change' : 'every' });
      t.dirty = false;
    }
    const off = c.marketTimeMs;
    if (!t.preOffDone && !c.inPlay) {
      const crossesOff = off !== undefined && last <= off && pt > off;
      if (turnsInPlay || (crossesOff && c.definition?.turnInPlayEnabled !== true)) {
        due.push({ stamp: last, reason: 'pre-off' });
        t.preOffDone = true;
      }
    }
    if (off !== undefined) {
      for (; t.nextAt < this.offsets.length; t.nextAt++) {
        const target = off + this.offsets[t.nextAt]!;
        if (target >= pt) break;
        if (target >= t.firstPt) due.push({ stamp: Math.max(target, last), reason: 'at' });
      }
    }
    this.emit(t, due, out);
  }

  private closeAll(out: ReplayEvent[]) {
    for (const t of this.markets.values()) {
      const last = t.cache.publishTime;
      const due: Due[] = [];
      if (this.bucketMs !== null && t.dirty)
        due.push({ stamp: last, reason: this.bucketMs === 1 ? 'change' : 'every' });
      const off = t.cache.marketTimeMs;
      if (off !== undefined) {
        for (; t.nextAt < this.offsets.length; t.nextAt++) {
          const target = off + this.offsets[t.nextAt]!;
          if (target > last) break;
          if (target >= t.firstPt) due.push({ stamp: target, reason: 'at' });
        }
      }
      due.push({ stamp: last, reason: 'final' });
      this.emit(t, due, out);
      if (this.included(t))
        out.push({ kind: 'market', market: t.cache.info(), file: t.file, entry: t.entry });
    }
    this.markets.clear();
  }

  private included(t: Tracked): boolean {
    if (!this.types) return true;
    const type = t.cache.marketType;
    return type !== undefined && this.types.has(type);
  }

  private emit(t: Tracked, due: Due[], out: ReplayEvent[]) {
    if (due.length === 0 || !this.included(t)) return;
    due.sort((a, b) => a.stamp - b.stamp);
    let current: StreamSnapshot | null = null;
    for (const d of due) {
      if (current && current.publishTime === d.stamp) {
        if (!current.reasons.includes(d.reason)) current.reasons.push(d.reason);
        continue;
      }
      if (d.stamp <= t.lastEmitted) continue;
      current = {
        marketId: t.cache.marketId,
        publishTime: d.stamp,
        reasons: [d.reason],
        book: t.cache.toBook(d.stamp),
        file: t.file,
        entry: t.entry,
      };
      t.lastEmitted = d.stamp;
      out.push({ kind: 'snapshot', snapshot: current });
    }
  }
}

/** Replays records (from readStreamFile or several files in a row) into snapshot, market and error events. */
export async function* replayStream(
  records: AsyncIterable<StreamRecord> | Iterable<StreamRecord>,
  options: ReplayOptions,
): AsyncGenerator<ReplayEvent> {
  const replayer = new StreamReplayer(options);
  for await (const record of records) yield* replayer.push(record);
  yield* replayer.end();
}

/** readStreamFile + replayStream: every event of one stream file. */
export function replayStreamFile(path: string, options: ReplayOptions): AsyncGenerator<ReplayEvent> {
  return replayStream(readStreamFile(path), options);
}
