// fetch_racecards_day {date, regions? = ['gb','ire'], enrich? = true, force? = false}
// All /v1/racecards/pro pages of one date; a date outside the racecard window (src/racing/rules.ts) is
// 'outside_window', no call.
import { ukToday } from '../src/racing/dates.ts';
import { describeOutcome, fetchRacecardsDay } from '../src/racing/fetch-day.ts';
import { FetchDayPayload } from '../src/racing/payloads.ts';
import { defineTask } from '../src/task.ts';

export const fetchRacecardsDayTask = defineTask('fetch_racecards_day', {
  schema: FetchDayPayload,
  async run(p, { sql, helpers, racingApi }) {
    const { job } = helpers;
    const o = await fetchRacecardsDay(
      sql,
      racingApi(),
      { ...p, today: ukToday() },
      { attempts: job.attempts, maxAttempts: job.max_attempts },
    );
    helpers.logger.info(describeOutcome(o));
  },
});
