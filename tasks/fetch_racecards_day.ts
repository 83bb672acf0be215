// fetch_racecards_day {date, regions? = ['gb','ire'], enrich? = true, force? = false}
// All /v1/racecards/pro pages of one date; dates outside 2023-01-23..today+7 are 'outside_window', no call.
import { ukToday } from '../src/racing/dates.ts';
import { describeOutcome, fetchRacecardsDay } from '../src/racing/fetch-day.ts';
import { FetchDayPayload } from '../src/racing/payloads.ts';
import { racingTask } from '../src/racing/task-runner.ts';

export const fetchRacecardsDayTask = racingTask('fetch_racecards_day', FetchDayPayload, async (p, ctx) => {
  const { job } = ctx.helpers;
  const o = await fetchRacecardsDay(
    ctx.sql,
    ctx.client(),
    { ...p, today: ukToday() },
    { attempts: job.attempts, maxAttempts: job.max_attempts },
  );
  ctx.helpers.logger.info(describeOutcome(o));
});
