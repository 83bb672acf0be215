// enrich_new_horses {limit? = 5000, _cron?}: scheduled (crontab). Queues enrich_horse for horses never tried.
import { z } from 'zod';
import { CronStamp } from '../src/daily/cron.ts';
import { queueNewHorses } from '../src/daily/jobs.ts';
import { defineTask } from '../src/task.ts';

export const enrichNewHorsesTask = defineTask('enrich_new_horses', {
  schema: z.object({ limit: z.int().min(1).max(1_000_000).default(5000), _cron: CronStamp }).strict(),
  async run(p, { sql, helpers }) {
    const q = await queueNewHorses(sql, p.limit);
    helpers.logger.info(`enrich new horses: ${q.pending} never tried, ${q.queued} jobs queued`);
  },
});
