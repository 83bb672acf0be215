// ingest_stream_file {path, every? | every_change? | at?, markets?}: one Betfair historical stream file
// (plain, gz, bz2 or tar) into snapshots, runners and metrics, then linked to the races
// (src/betfair/ingest-stream.ts). One job per file, so many workers share a purchase. The path must lie
// in KIT_IMPORT_DIR.
import { z } from 'zod';
import { importStreamFile } from '../src/betfair/ingest-stream.ts';
import { CadencePayload, cadenceOf, parseMarketTypes } from '../src/betfair/stream-options.ts';
import { importPathOfJob } from '../src/import-path.ts';
import { defineTask } from '../src/task.ts';

const IngestStreamFilePayload = CadencePayload.extend({
  path: z.string().min(1),
  /** marketTypes to keep, e.g. ["WIN", "PLACE"]; all when absent. */
  markets: z.array(z.string().min(1)).min(1).optional(),
})
  .strict()
  .superRefine((p, ctx) => {
    try {
      cadenceOf(p);
      if (p.markets) parseMarketTypes(p.markets.join(','));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

export const ingestStreamFileTask = defineTask('ingest_stream_file', {
  schema: IngestStreamFilePayload,
  async run(p, { sql, helpers }) {
    const path = await importPathOfJob(sql, helpers, 'ingest_stream_file', p, p.path);
    if (path === undefined) return;
    const counts = await importStreamFile(sql, path, {
      cadence: cadenceOf(p),
      marketTypes: p.markets ? parseMarketTypes(p.markets.join(',')) : undefined,
      warn: (message) => helpers.logger.warn(message),
    });
    helpers.logger.info(
      counts.alreadyImported
        ? `ingest_stream_file ${p.path}: already imported`
        : `ingest_stream_file ${p.path}: ${counts.markets} markets, ${counts.inserted} snapshots stored, ` +
            `${counts.linked} markets linked`,
    );
  },
});
