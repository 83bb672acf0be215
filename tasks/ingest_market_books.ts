// ingest_market_books {books | path, snapshot_at?, source?}: stores raw MarketBook snapshots and their
// derived rows (src/betfair/market-books.ts).
import { z } from 'zod';
import { importMarketBookFile, ingestMarketBooks, parseSnapshotTime } from '../src/betfair/market-books.ts';
import { defineTask } from '../src/task.ts';

const IngestMarketBooksPayload = z
  .strictObject({
    /** listMarketBook MarketBook objects, as received. */
    books: z.array(z.unknown()).optional(),
    /** Or a file on the worker's machine (JSON array, NDJSON, JSON-RPC wrapper; gzip allowed). */
    path: z.string().min(1).optional(),
    /** Time for books that carry no snapshotAt/publishTime. */
    snapshot_at: z
      .string()
      .refine((s) => parseSnapshotTime(s) !== undefined, 'snapshot_at must be an ISO time with a zone')
      .optional(),
    source: z.string().min(1).optional(),
  })
  .refine((p) => (p.books === undefined) !== (p.path === undefined), 'give exactly one of books or path');

export const ingestMarketBooksTask = defineTask('ingest_market_books', {
  schema: IngestMarketBooksPayload,
  async run(p, { sql, helpers }) {
    const options = {
      snapshotAt: p.snapshot_at ? parseSnapshotTime(p.snapshot_at) : undefined,
      source: p.source,
      warn: (message: string) => helpers.logger.warn(message),
    };
    const counts = p.path
      ? await importMarketBookFile(sql, p.path, options)
      : await ingestMarketBooks(sql, p.books ?? [], options);
    helpers.logger.info(
      `ingest_market_books: ${counts.inserted} stored, ${counts.duplicates} already stored, ${counts.rejected} rejected`,
    );
  },
});
