import { z } from 'zod';
import type { Sql } from '../db.ts';
import { readJsonRecords } from './json-records.ts';
import { insertSnapshotBatch, type SnapshotDerivation } from './snapshots.ts';

/**
 * Snapshot time rule, first match wins, per book:
 *   1. the book's own `snapshotAt` or `snapshot_at` (what a collector adds when it saves a response),
 *   2. its `publishTime` (stream-derived books; epoch milliseconds or ISO),
 *   3. the fallback given by the caller (`--snapshot-at`, or `snapshot_at` in the task payload).
 * A book with none of these is rejected: listMarketBook itself carries no time, and guessing (file
 * time, now()) would break idempotency on (market_id, snapshot_at) when the file is imported again.
 * ISO strings must carry a zone (Z or ±hh:mm); they reach PostgreSQL unchanged, microseconds included.
 */
const TIME_FIELDS = ['snapshotAt', 'snapshot_at', 'publishTime'] as const;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;

export function parseSnapshotTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  if (typeof value === 'string' && ISO_WITH_ZONE.test(value.trim()) && !Number.isNaN(Date.parse(value))) {
    return value.trim();
  }
  return undefined;
}

// Only the fields copied into columns are checked; everything else is kept as received.
const bookSchema = z.looseObject({
  marketId: z.string().regex(/^\d+\.\d+$/, 'marketId must look like "1.234567"'),
  status: z.string().optional(),
  inplay: z.boolean().optional(),
  runners: z.array(z.unknown()).optional(),
});

export interface PreparedBook {
  marketId: string;
  snapshotAt: string;
  /** The book's JSON text as received. */
  text: string;
}

export type Prepared = { ok: true; book: PreparedBook } | { ok: false; reason: string };

export function prepareBook(value: unknown, text: string, fallbackSnapshotAt?: string): Prepared {
  const parsed = bookSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return { ok: false, reason: `not a MarketBook (${where}${issue?.message ?? 'invalid'})` };
  }
  const book = parsed.data as Record<string, unknown>;
  let snapshotAt: string | undefined;
  for (const field of TIME_FIELDS) {
    if (book[field] === undefined) continue;
    snapshotAt = parseSnapshotTime(book[field]);
    if (!snapshotAt) return { ok: false, reason: `${field} ${JSON.stringify(book[field])} is not a time` };
    break;
  }
  snapshotAt ??= fallbackSnapshotAt;
  if (!snapshotAt) {
    return {
      ok: false,
      reason: `market ${parsed.data.marketId} has no snapshotAt/publishTime; pass --snapshot-at`,
    };
  }
  return { ok: true, book: { marketId: parsed.data.marketId, snapshotAt, text } };
}

export interface IngestCounts {
  received: number;
  inserted: number;
  /** Already stored under the same (market_id, snapshot_at): left untouched. */
  duplicates: number;
  derived: number;
  rejected: number;
}

export const emptyCounts = (): IngestCounts => ({
  received: 0,
  inserted: 0,
  duplicates: 0,
  derived: 0,
  rejected: 0,
});

export function addCounts(a: IngestCounts, b: IngestCounts): IngestCounts {
  return {
    received: a.received + b.received,
    inserted: a.inserted + b.inserted,
    duplicates: a.duplicates + b.duplicates,
    derived: a.derived + b.derived,
    rejected: a.rejected + b.rejected,
  };
}

const REST_DERIVATION: SnapshotDerivation = { roles: 'every', runnerMetrics: false };

function batchJson(books: readonly PreparedBook[]): string {
  return `[${books.map((b) => `{"snapshot_at":${JSON.stringify(b.snapshotAt)},"raw":${b.text}}`).join(',')}]`;
}

export type Warn = (message: string) => void;

/**
 * Stores one batch of prepared books with their derived rows. If the batch fails as a whole (for
 * instance a \u0000 in a string, which jsonb refuses), the books are retried one by one so a single
 * bad book is rejected with its reason and the rest are stored.
 */
export async function insertBookBatch(
  db: Sql,
  books: readonly PreparedBook[],
  source: string,
  warn: Warn,
): Promise<IngestCounts> {
  if (books.length === 0) return emptyCounts();
  const run = async (part: readonly PreparedBook[]) => {
    const row = await insertSnapshotBatch(db, batchJson(part), source, REST_DERIVATION);
    return {
      received: part.length,
      inserted: row.inserted,
      duplicates: part.length - row.inserted,
      derived: row.derived,
      rejected: 0,
    };
  };
  try {
    return await run(books);
  } catch (error) {
    if (books.length === 1) {
      warn(`market ${books[0]?.marketId} at ${books[0]?.snapshotAt}: rejected (${firstLine(error)})`);
      return { ...emptyCounts(), received: 1, rejected: 1 };
    }
    let counts = emptyCounts();
    for (const book of books) counts = addCounts(counts, await insertBookBatch(db, [book], source, warn));
    return counts;
  }
}

function firstLine(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  return message.split('\n')[0] ?? message;
}

export interface IngestOptions {
  /** Time for books that carry none (see the snapshot time rule above). */
  snapshotAt?: string;
  source?: string;
  batchSize?: number;
  warn?: Warn;
}

const DEFAULT_SOURCE = 'rest_listMarketBook';

/** Books already in memory (the ingest_market_books task's {books} payload). */
export async function ingestMarketBooks(
  db: Sql,
  books: readonly unknown[],
  options: IngestOptions = {},
): Promise<IngestCounts> {
  return ingestRecords(
    db,
    books.map((value, index) => ({ value, text: JSON.stringify(value), where: `book ${index}` })),
    options,
  );
}

/** Records from files, streamed: at most one batch is held in memory at a time. */
export async function importMarketBookFile(
  db: Sql,
  path: string,
  options: IngestOptions = {},
): Promise<IngestCounts> {
  async function* records() {
    for await (const r of readJsonRecords(path))
      yield { value: r.value, text: r.text, where: `${path}:${r.line}` };
  }
  return ingestRecords(db, records(), options);
}

async function ingestRecords(
  db: Sql,
  records: Iterable<Record3> | AsyncIterable<Record3>,
  options: IngestOptions,
): Promise<IngestCounts> {
  const batchSize = options.batchSize ?? 1000;
  const source = options.source ?? DEFAULT_SOURCE;
  const warn = options.warn ?? (() => {});
  let counts = emptyCounts();
  let batch: PreparedBook[] = [];
  for await (const record of records) {
    const prepared = prepareBook(record.value, record.text, options.snapshotAt);
    if (!prepared.ok) {
      warn(`${record.where}: ${prepared.reason}`);
      counts = addCounts(counts, { ...emptyCounts(), received: 1, rejected: 1 });
      continue;
    }
    batch.push(prepared.book);
    if (batch.length >= batchSize) {
      counts = addCounts(counts, await insertBookBatch(db, batch, source, warn));
      batch = [];
    }
  }
  return addCounts(counts, await insertBookBatch(db, batch, source, warn));
}

interface Record3 {
  value: unknown;
  text: string;
  where: string;
}
