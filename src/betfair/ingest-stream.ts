// Betfair historical stream files (plain, .gz, .bz2, .tar of them) into the database: snapshots in the
// listMarketBook shape (source 'stream') with their three-role and per-runner metrics, every market and
// runner from the marketDefinition, then the links to the races. One transaction per file: a corrupt or
// truncated file stores nothing, and a file whose bytes were imported before is skipped whole.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Db, Sql } from '../db.ts';
import { linkMarketsBetween } from './link.ts';
import { METRIC_COLUMNS } from './metrics.ts';
import { insertRunnerMetricsFrom } from './runner-metrics.ts';
import {
  type Cadence,
  formatLocation,
  type MarketInfo,
  readStreamFile,
  StreamReplayer,
} from './stream/index.ts';

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

const UPSERT_MARKET = `
WITH m AS (SELECT $1::text::jsonb AS j),
market AS (
  INSERT INTO betfair_markets AS b (market_id, event_type_id, event_id, event_name, venue, country_code, timezone,
    market_time, market_type, market_name, betting_type, number_of_winners, status, bsp_reconciled, settled_time,
    updated_at)
  SELECT j ->> 'marketId', j ->> 'eventTypeId', j ->> 'eventId', j ->> 'eventName', j ->> 'venue',
    j ->> 'countryCode', j ->> 'timezone', (j ->> 'marketTime')::timestamptz, j ->> 'marketType', j ->> 'name',
    j ->> 'bettingType', (j ->> 'numberOfWinners')::integer, j ->> 'status', (j ->> 'bspReconciled')::boolean,
    (j ->> 'settledTime')::timestamptz, now()
  FROM m
  ON CONFLICT (market_id) DO UPDATE SET event_type_id = excluded.event_type_id, event_id = excluded.event_id,
    event_name = excluded.event_name, venue = excluded.venue, country_code = excluded.country_code,
    timezone = excluded.timezone, market_time = excluded.market_time, market_type = excluded.market_type,
    market_name = excluded.market_name, betting_type = excluded.betting_type,
    number_of_winners = excluded.number_of_winners, status = excluded.status,
    bsp_reconciled = excluded.bsp_reconciled, settled_time = excluded.settled_time, updated_at = now()
  WHERE (b.status, b.bsp_reconciled, b.settled_time, b.market_time, b.venue, b.market_name)
    IS DISTINCT FROM (excluded.status, excluded.bsp_reconciled, excluded.settled_time, excluded.market_time,
                      excluded.venue, excluded.market_name)
)
INSERT INTO market_runners AS r (market_id, selection_id, name, sort_priority, status, removal_date,
  adjustment_factor, bsp, updated_at)
SELECT j ->> 'marketId', (x ->> 'selectionId')::bigint, x ->> 'name', (x ->> 'sortPriority')::integer,
  x ->> 'status', (x ->> 'removalDate')::timestamptz, (x ->> 'adjustmentFactor')::double precision,
  (x ->> 'bsp')::double precision, now()
FROM m CROSS JOIN LATERAL jsonb_array_elements(j -> 'runners') x
ON CONFLICT (market_id, selection_id) DO UPDATE SET name = coalesce(excluded.name, r.name),
  sort_priority = coalesce(excluded.sort_priority, r.sort_priority), status = excluded.status,
  removal_date = excluded.removal_date, adjustment_factor = excluded.adjustment_factor,
  bsp = coalesce(excluded.bsp, r.bsp), updated_at = now()
WHERE (r.name, r.sort_priority, r.status, r.removal_date, r.adjustment_factor, r.bsp)
  IS DISTINCT FROM (coalesce(excluded.name, r.name), coalesce(excluded.sort_priority, r.sort_priority),
                    excluded.status, excluded.removal_date, excluded.adjustment_factor,
                    coalesce(excluded.bsp, r.bsp))`;

/** sha256 of the file's bytes, as stored in betfair_stream_files. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Upserts one market and its runners from its last marketDefinition. */
export async function storeMarketInfo(db: Db, market: MarketInfo): Promise<void> {
  await db.unsafe(UPSERT_MARKET, [JSON.stringify(market)]);
}

const ukDay = (iso: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date(iso));

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

  let firstDay: string | undefined;
  let lastDay: string | undefined;
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
          await storeMarketInfo(tx, event.market);
          const t = event.market.marketTime;
          if (t && !Number.isNaN(Date.parse(t))) {
            const day = ukDay(t);
            if (firstDay === undefined || day < firstDay) firstDay = day;
            if (lastDay === undefined || day > lastDay) lastDay = day;
          }
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
  if (firstDay && lastDay) counts.linked = await linkMarketsBetween(sql, firstDay, lastDay);
  return counts;
}
