import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { pgClientDb } from '../src/betfair/db-port.ts';
import { importMarketBookFile, ingestMarketBooks, parseSnapshotTime } from '../src/betfair/market-books.ts';

const payloadSchema = z
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

/** Stores raw MarketBook snapshots and their derived rows (src/betfair/market-books.ts). */
export const ingestMarketBooksTask: Task = async (payload, helpers) => {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) {
    // Terminal: retrying cannot fix a payload. Recorded where the user looks, then the job ends.
    const issue = parsed.error.issues[0];
    const message = `invalid payload: ${issue?.path.join('.') || 'payload'}: ${issue?.message}`;
    await helpers.query(
      `INSERT INTO job_errors (task_identifier, job_id, job_key, payload, kind, error)
       VALUES ('ingest_market_books', $1, $2, $3::text::jsonb, 'invalid_payload', $4)`,
      [helpers.job.id, helpers.job.key, JSON.stringify(payload ?? null), message],
    );
    helpers.logger.error(`ingest_market_books ${message}`);
    return;
  }
  const p = parsed.data;
  const options = {
    snapshotAt: p.snapshot_at ? parseSnapshotTime(p.snapshot_at) : undefined,
    source: p.source,
    warn: (message: string) => helpers.logger.warn(message),
  };
  const counts = await helpers.withPgClient((client) =>
    p.path
      ? importMarketBookFile(pgClientDb(client), p.path, options)
      : ingestMarketBooks(pgClientDb(client), p.books ?? [], options),
  );
  helpers.logger.info(
    `ingest_market_books: ${counts.inserted} stored, ${counts.duplicates} already stored, ${counts.rejected} rejected`,
  );
};
