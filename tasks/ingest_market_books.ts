// ingest_market_books {books | path, snapshot_at?, source?}: stores raw MarketBook snapshots and their
// derived rows (src/betfair/market-books.ts).
import { z } from 'zod';
import { importMarketBookFile, ingestMarketBooks, parseSnapshotTime } from '../src/betfair/market-books.ts';
import { importPathOfJob } from '../src/import-path.ts';
import { defineTask } from '../src/task.ts';

const IngestMarketBooksPayload = z
  .strictObject({
    /** listMarketBook MarketBook objects, as received. */
    books: z.array(z.unknown()).optional(),
    /**
     * Or a file on the worker's machine under KIT_IMPORT_DIR (relative to it, or absolute inside it; JSON
     * array, NDJSON, JSON-RPC wrapper; gzip allowed). Refused into job_errors when KIT_IMPORT_DIR is unset.
     */
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
    let counts: Awaited<ReturnType<typeof ingestMarketBooks>>;
    if (p.path !== undefined) {
      const path = await importPathOfJob(sql, helpers, 'ingest_market_books', p, p.path);
      if (path === undefined) return;
      counts = await importMarketBookFile(sql, path, options);
    } else counts = await ingestMarketBooks(sql, p.books ?? [], options);
    helpers.logger.info(
      `ingest_market_books: ${counts.inserted} stored, ${counts.duplicates} already stored, ${counts.rejected} rejected`,
    );
  },
});
