import type { Task } from 'graphile-worker';
import { backfillParamsSchema, recordRejectedPayload, runLadderBackfill } from '../src/betfair/backfill.ts';
import { pgClientDb } from '../src/betfair/db-port.ts';

/**
 * Fills NULL derived ladder metrics from the raw payloads (see src/betfair/backfill.ts). An invalid
 * payload is recorded as a failed ladder_backfill_runs row and the job ends: retrying cannot fix it.
 * A failure mid-run throws, and the retry continues the same run row after its last committed batch.
 */
export const backfillLadderTask: Task = async (payload, helpers) => {
  await helpers.withPgClient(async (client) => {
    const db = pgClientDb(client);
    const parsed = backfillParamsSchema.safeParse(payload ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const message = `invalid payload: ${issue?.path.join('.') || 'payload'}: ${issue?.message}`;
      await recordRejectedPayload(db, payload, helpers.job.id, message);
      helpers.logger.error(`backfill_ladder ${message}`);
      return;
    }
    let params = parsed.data;
    if (params.run_id === undefined) {
      // A retried job continues the run it started, found by its job id.
      const [own] = await db.query<{ id: number }>(
        `SELECT id::int FROM ladder_backfill_runs WHERE job_id = $1::text AND status <> 'done' ORDER BY id DESC LIMIT 1`,
        [helpers.job.id],
      );
      if (own) params = { ...params, run_id: own.id };
    }
    await runLadderBackfill(db, params, { jobId: helpers.job.id, signal: helpers.abortSignal });
  });
};
