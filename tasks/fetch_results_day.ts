// fetch_results_day {date, regions? = ['gb','ire'], enrich? = true, force? = false}
// All /v1/results pages of one date, stored with the checkpoint in one transaction (src/racing/fetch-day.ts).
import { ukToday } from '../src/racing/dates.ts';
import { describeOutcome, fetchResultsDay } from '../src/racing/fetch-day.ts';
import { FetchDayPayload } from '../src/racing/payloads.ts';
import { racingTask } from '../src/racing/task-runner.ts';

export const fetchResultsDayTask = racingTask('fetch_results_day', FetchDayPayload, async (p, ctx) => {
  const today = ukToday();
  if (p.date > today) return ctx.reject(`invalid payload: date ${p.date} is in the future (no results yet)`);
  const { job } = ctx.helpers;
  const o = await fetchResultsDay(
    ctx.sql,
    ctx.client(),
    { ...p, today },
    { attempts: job.attempts, maxAttempts: job.max_attempts },
  );
  ctx.helpers.logger.info(describeOutcome(o));
});
