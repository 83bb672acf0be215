// daily_results {days? = 3, regions? = ['gb','ire'], enrich? = true, _cron?}: scheduled (crontab). Queues
// fetch_results_day with force for the `days` dates ending the day before the job's scheduled time.
import { catchUpNote, scheduledToday } from '../src/daily/cron.ts';
import { queueDailyResults } from '../src/daily/jobs.ts';
import { DailyResultsPayload } from '../src/daily/payloads.ts';
import { defineTask } from '../src/task.ts';

export const dailyResultsTask = defineTask('daily_results', {
  schema: DailyResultsPayload,
  async run(p, { sql, helpers }) {
    const q = await queueDailyResults(sql, { ...p, today: scheduledToday(p._cron) });
    helpers.logger.info(
      `daily results ${q.first}..${q.last}${catchUpNote(p._cron)}: ${q.queued} dates queued`,
    );
  },
});
