// Betfair historical stream files (plain, .gz, .bz2, .tar of them) into the database: snapshots in the
// listMarketBook shape (source 'stream') with their three-role and per-runner metrics, every market and
// runner from the marketDefinition, then the links to the races. One transaction per file: a corrupt or
// truncated file stores nothing, and a file whose bytes were imported before is skipped whole.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Sql } from '../db.ts';
import { MarketDays } from './link.ts';
import { upsertMarkets } from './markets.ts';
import { METRIC_COLUMNS } from './metrics.ts';
import { insertRunnerMetricsFrom } from './runner-metrics.ts';
import { type Cadence, formatLocation, readStreamFile, StreamReplayer } from './stream/index.ts';

export const STREAM_SOURCE = 'stream';

export interface StreamImportOptions {
  cadence: Cadence;
  /** Only these marketTypes (WIN, PLACE, MATCH_ODDS...); all when absent. */
  marketTypes?: readonly string[];
  /** Snapshots per statement (default 500). */
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

const metricList = METRIC_COLUMNS.join(', ');
const metricSelect = METRIC_COLUMNS.map((c) => `m.${c}`).join(', ');

// Snapshots and their derived rows in one statement. The three-role row only for markets whose catalogue
// gave the roles (MATCH_ODDS); the per-runner rows for every market, from the same per-runner function.
const INSERT_SNAPSHOTS = `
WITH input AS (
  SELECT (x ->> 'snapshot_at')::timestamptz AS snapshot_at, x -> 'raw' AS raw
  FROM jsonb_array_elements($1::text::jsonb) x
),
inserted AS (
  INSERT INTO market_book_snapshots (market_id, snapshot_at, raw_payload, status, inplay, total_matched, source)
  SELECT raw ->> 'marketId', snapshot_at, raw, raw ->> 'status',
         CASE jsonb_typeof(raw -> 'inplay') WHEN 'boolean' THEN (raw -> 'inplay')::boolean END,
         ladder_finite(raw -> 'totalMatched'), '${STREAM_SOURCE}'
  FROM input
  ON CONFLICT (market_id, snapshot_at) DO NOTHING
  RETURNING snapshot_id, market_id, snapshot_at, raw_payload, status
),
derived AS (
  INSERT INTO market_derived_metrics (snapshot_id, market_id, snapshot_at, status, ${metricList})
  SELECT i.snapshot_id, i.market_id, i.snapshot_at, i.status, ${metricSelect}
  FROM inserted i
  JOIN market_event_metadata e ON e.market_id = i.market_id
  CROSS JOIN LATERAL derive_ladder_metrics(i.raw_payload, e.home_selection_id, e.away_selection_id,
                                           e.draw_selection_id) m
  ON CONFLICT (snapshot_id) DO NOTHING
),
runners AS (${insertRunnerMetricsFrom('inserted')} RETURNING 1)
SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM runners)::int AS runner_rows`;

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
    let batch: string[] = [];
    // One batch in flight while the next is read and replayed: the database and the decoding overlap,
    // and memory stays bounded at two batches.
    let inFlight: Promise<void> = Promise.resolve();
    const send = (text: string) =>
      tx.unsafe<{ inserted: number; runner_rows: number }[]>(INSERT_SNAPSHOTS, [text]).then(([row]) => {
        counts.inserted += row?.inserted ?? 0;
        counts.runnerRows += row?.runner_rows ?? 0;
      });
    const flush = async (wait = false) => {
      if (batch.length > 0) {
        const text = `[${batch.join(',')}]`;
        batch = [];
        await inFlight;
        inFlight = send(text);
        // A rejection is seen by the next await; keep Node from reporting it as unhandled meanwhile.
        inFlight.catch(() => {});
      }
      if (wait) await inFlight;
    };
    const handle = async (events: ReturnType<StreamReplayer['push']>) => {
      for (const event of events) {
        if (event.kind === 'snapshot') {
          const s = event.snapshot;
          counts.snapshots++;
          const at = new Date(s.publishTime).toISOString();
          batch.push(`{"snapshot_at":"${at}","raw":${JSON.stringify(s.book)}}`);
          if (batch.length >= batchSize) await flush();
        } else if (event.kind === 'market') {
          // Its snapshots first: the market row is written after them, like a checkpoint.
          await flush(true);
          counts.markets++;
          await upsertMarkets(tx, [event.market]);
          days.add(event.market.marketTime);
        } else {
          counts.badLines++;
          warn(`${formatLocation(event)}: ${event.reason}`);
        }
      }
    };
    for await (const record of readStreamFile(path)) {
      if (record.kind === 'message') counts.messages++;
      await handle(replayer.push(record));
    }
    await handle(replayer.end());
    await flush(true);
    await tx`
      insert into betfair_stream_files (sha256, path, bytes, markets, snapshots)
      values (${sha256}, ${path}, ${info.size}, ${counts.markets}, ${counts.inserted})
      on conflict (sha256) do nothing`;
  });
  counts.linked = await days.link(sql);
  return counts;
}
