// enrich_horse {horse_id}: /v1/horses/{id}/pro once per horse ever (src/racing/enrich.ts).
import { enrichHorse } from '../src/racing/enrich.ts';
import { EnrichHorsePayload } from '../src/racing/payloads.ts';
import { racingTask } from '../src/racing/task-runner.ts';

export const enrichHorseTask = racingTask('enrich_horse', EnrichHorsePayload, async (p, ctx) => {
  const { job } = ctx.helpers;
  const o = await enrichHorse(ctx.sql, ctx.client(), p.horse_id, { jobId: job.id, jobKey: job.key });
  // One line per horse would flood a 100k-horse backfill: only the exceptions are logged.
  if (o.status === 'not_available') ctx.helpers.logger.info(`enrich ${o.horseId}: no profile (404)`);
  if (o.status === 'failed') ctx.helpers.logger.warn(`enrich ${o.horseId} failed: ${o.error}`);
});
