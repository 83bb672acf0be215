// backfill_ladder {dry_run?, limit?, batch_size?, columns?, since?, until?, run_id?}: fills NULL derived
// ladder metrics from the raw payloads (src/betfair/backfill.ts). A failure mid-run throws, and the retry
// continues the same ladder_backfill_runs row after its last committed batch.

import { runLadderBackfillJob } from '../src/betfair/backfill.ts';
import { backfillParamsSchema } from '../src/betfair/backfill-params.ts';
import { backfillRunnerMetrics } from '../src/betfair/runner-metrics.ts';
import { defineTask } from '../src/task.ts';

export const backfillLadderTask = defineTask('backfill_ladder', {
  schema: backfillParamsSchema,
  async run(p, { sql, helpers }) {
    await runLadderBackfillJob(sql, p, { id: helpers.job.id, signal: helpers.abortSignal });
    // Per-runner rows (market_runner_metrics) missing for any snapshot: filled by the same derivation.
    if (!p.dry_run) await backfillRunnerMetrics(sql);
  },
});
