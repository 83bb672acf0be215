// enrich_horse {horse_id}: /v1/horses/{id}/pro once per horse ever (src/racing/enrich.ts).
import { enrichHorse } from '../src/racing/enrich.ts';
import { EnrichHorsePayload } from '../src/racing/payloads.ts';
import { defineTask } from '../src/task.ts';

export const enrichHorseTask = defineTask('enrich_horse', {
  schema: EnrichHorsePayload,
  async run(p, { sql, helpers, racingApi }) {
    const { job, logger } = helpers;
    const o = await enrichHorse(sql, racingApi(), p.horse_id, { jobId: job.id, jobKey: job.key });
    // One line per horse would flood a 100k-horse backfill: only the exceptions are logged.
    if (o.status === 'not_available') logger.info(`enrich ${o.horseId}: no profile (404)`);
    if (o.status === 'failed') logger.warn(`enrich ${o.horseId} failed: ${o.error}`);
  },
});
