// prune_api_requests {retention_days? = 90, _cron?}: scheduled (crontab). Summarises api_requests older than
// retention_days before the job's scheduled time into api_requests_daily, then deletes them.
import { z } from 'zod';
import { CronStamp, scheduledAt } from '../src/daily/cron.ts';
import { DEFAULT_RETENTION_DAYS, pruneApiRequests, retentionCutoff } from '../src/daily/prune.ts';
import { defineTask } from '../src/task.ts';

export const pruneApiRequestsTask = defineTask('prune_api_requests', {
  schema: z
    .object({
      retention_days: z.int().min(1).max(36_500).default(DEFAULT_RETENTION_DAYS),
      _cron: CronStamp,
    })
    .strict(),
  async run(p, { sql, helpers }) {
    const o = await pruneApiRequests(sql, retentionCutoff(scheduledAt(p._cron), p.retention_days));
    helpers.logger.info(
      `api_requests before ${o.cutoff}: ${o.deleted} rows summarised into ${o.summaryRows} daily rows and deleted`,
    );
  },
});
