// backfill_dates {start_date, end_date, regions? = ['gb','ire'], source? = 'auto', enrich? = true, force? = false}
// Plans (source, date) pairs and queues one fetch job per pair not yet done, in one statement. No API call.
import { addDays, RACECARDS_DAYS_AHEAD, ukToday } from '../src/racing/dates.ts';
import { BackfillDatesPayload } from '../src/racing/payloads.ts';
import { queueBackfill } from '../src/racing/plan.ts';
import { racingTask } from '../src/racing/task-runner.ts';

export const backfillDates = racingTask(
  'backfill_dates',
  BackfillDatesPayload,
  async (p, { sql, helpers, reject }) => {
    const today = ukToday();
    const lastDate = addDays(today, RACECARDS_DAYS_AHEAD);
    if (p.end_date > lastDate)
      return reject(`invalid payload: end_date ${p.end_date} is after ${lastDate} (today + 7)`);
    const started = performance.now();
    const q = await queueBackfill(sql, {
      startDate: p.start_date,
      endDate: p.end_date,
      regions: p.regions,
      source: p.source,
      enrich: p.enrich,
      force: p.force,
      today,
    });
    helpers.logger.info(
      `backfill ${p.start_date}..${p.end_date} (${p.source}, ${p.regions.join(',')}): ${q.pairs} pairs, ` +
        `${q.queued} queued, ${q.done} already done, ${Math.round(performance.now() - started)} ms`,
    );
  },
);
