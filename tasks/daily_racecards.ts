// daily_racecards {days_ahead? = 7, regions? = ['gb','ire'], enrich? = true, _cron?}: scheduled (crontab).
// Queues fetch_racecards_day with force for the job's scheduled date to days_ahead later.
import { catchUpNote, scheduledToday } from '../src/daily/cron.ts';
import { queueDailyRacecards } from '../src/daily/jobs.ts';
import { DailyRacecardsPayload } from '../src/daily/payloads.ts';
import { defineTask } from '../src/task.ts';

export const dailyRacecardsTask = defineTask('daily_racecards', {
  schema: DailyRacecardsPayload,
  async run(p, { sql, helpers }) {
    const q = await queueDailyRacecards(sql, {
      ...p,
      daysAhead: p.days_ahead,
      today: scheduledToday(p._cron),
    });
    helpers.logger.info(
      `daily racecards ${q.first}..${q.last}${catchUpNote(p._cron)}: ${q.queued} dates queued`,
    );
  },
});
