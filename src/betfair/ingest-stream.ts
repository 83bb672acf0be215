// Betfair historical stream files (plain, .gz, .bz2, .tar of them) into the database: snapshots in the
// listMarketBook shape (source 'stream') with their three-role and per-runner metrics, every market and
// runner from the marketDefinition, then the links to the races. One transaction per file: a corrupt or
// truncated file stores nothing, and a file whose bytes were imported before is skipped whole.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setImmediate } from 'node:timers/promises';
import type { Sql } from '../db.ts';
import { MarketDays } from './link.ts';
import { upsertMarkets } from './markets.ts';
import { insertSnapshotBatch, type SnapshotDerivation } from './snapshots.ts';
import {
  type Cadence,
  formatLocation,
  type MarketInfo,
  readStreamFile,
  StreamReplayer,
} from './stream/index.ts';

export const STREAM_SOURCE = 'stream';

// A batch also ends at this much JSON text (about 190 books of 10 runners), so that memory stays bounded
// whatever a book's size: the importer holds two batches, and each batch's text is copied once more into
// its statement's buffer. (10x bench archive: peak RSS 154 MB without this bound, 144 MB with it.)
const BATCH_CHARS = 1_000_000;

export interface StreamImportOptions {
  cadence: Cadence;
  /** Only these marketTypes (WIN, PLACE, MATCH_ODDS...); all when absent. */
  marketTypes?: readonly string[];
  /** Snapshots per statement at most (default 500; fewer once their JSON reaches BATCH_CHARS). */
  batchSize?: number;
  warn?: (message: string) => void;
}

export interface StreamImportCounts {
  /** True when a file with the same bytes (sha256) was imported before: nothing was read or stored. */
  alreadyImported: boolean;
  messages: number;
  badLines: number;
  markets: number;
  snapshots: number;
  inserted: number;
  runnerRows: number;
  linked: number;
}

// Three-role rows only for markets with a catalogue row; per-runner rows for every market (snapshots.ts says why).
const STREAM_DERIVATION: SnapshotDerivation = { roles: 'known-roles', runnerMetrics: true };

/** sha256 of the file's bytes, as stored in betfair_stream_files. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Imports one stream file (see the file comment). Throws, naming the file, when it cannot be read whole. */
export async function importStreamFile(
  sql: Sql,
  path: string,
  options: StreamImportOptions,
): Promise<StreamImportCounts> {
  const counts: StreamImportCounts = {
    alreadyImported: false,
    messages: 0,
    badLines: 0,
    markets: 0,
    snapshots: 0,
    inserted: 0,
    runnerRows: 0,
    linked: 0,
  };
  const warn = options.warn ?? (() => {});
  const batchSize = options.batchSize ?? 500;
  const [sha256, info] = await Promise.all([fileSha256(path), stat(path)]);
  const [seen] = await sql`select 1 from betfair_stream_files where sha256 = ${sha256}`;
  if (seen) return { ...counts, alreadyImported: true };

  const days = new MarketDays();
  await sql.begin(async (tx) => {
    const replayer = new StreamReplayer({ cadence: options.cadence, marketTypes: options.marketTypes });
    let books: string[] = [];
    let bookChars = 0;
    let markets: MarketInfo[] = [];
    // One batch in flight while the next is read and replayed: the database and the decoding overlap, and
    // memory stays bounded at two batches. A batch spans markets; a market ending adds its row to the batch
    // instead of waiting for its snapshots (one transaction: the order of the statements is not seen).
    let inFlight: Promise<unknown> = Promise.resolve();
    const flush = async () => {
      if (books.length === 0 && markets.length === 0) return;
      const text = books.length > 0 ? `[${books.join(',')}]` : undefined;
      const ended = markets;
      books = [];
      bookChars = 0;
      markets = [];
      await inFlight;
      // Both statements are sent at once (pipelined on the transaction's connection).
      inFlight = Promise.all([
        text &&
          insertSnapshotBatch(tx, text, STREAM_SOURCE, STREAM_DERIVATION).then((row) => {
            counts.inserted += row.inserted;
            counts.runnerRows += row.runnerRows;
          }),
        ended.length > 0 && upsertMarkets(tx, ended),
      ]);
      // A rejection is seen by the next await; keep Node from reporting it as unhandled meanwhile.
      inFlight.catch(() => {});
    };
    const handle = async (events: ReturnType<StreamReplayer['push']>) => {
      for (const event of events) {
        if (event.kind === 'snapshot') {
          const s = event.snapshot;
          counts.snapshots++;
          const at = new Date(s.publishTime).toISOString();
          const text = `{"snapshot_at":"${at}","raw":${JSON.stringify(s.book)}}`;
          books.push(text);
          bookChars += text.length;
          if (books.length >= batchSize || bookChars >= BATCH_CHARS) await flush();
        } else if (event.kind === 'market') {
          counts.markets++;
          markets.push(event.market);
          days.add(event.market.marketTime);
          if (markets.length >= batchSize) await flush();
        } else {
          counts.badLines++;
          warn(`${formatLocation(event)}: ${event.reason}`);
        }
      }
    };
    // Decoding runs in microtasks, which never let Node's event loop reach its I/O phase: a statement's
    // megabyte went out only as far as the socket took it at once, and its result was read only when the
    // file's next chunk was, so the database sat waiting for the client for a quarter of the import (~28% of
    // pg_stat_activity samples in ClientRead). A turn of the loop every millisecond keeps both moving:
    // 10x bench archive 5.6 s -> 4.1 s, ClientRead 4% of the samples.
    let turn = performance.now();
    for await (const record of readStreamFile(path)) {
      if (performance.now() - turn >= 1) {
        await setImmediate();
        turn = performance.now();
      }
      if (record.kind === 'message') counts.messages++;
      await handle(replayer.push(record));
    }
    await handle(replayer.end());
    await flush();
    await inFlight;
    await tx`
      insert into betfair_stream_files (sha256, path, bytes, markets, snapshots)
      values (${sha256}, ${path}, ${info.size}, ${counts.markets}, ${counts.inserted})
      on conflict (sha256) do nothing`;
  });
  counts.linked = await days.link(sql);
  return counts;
}
