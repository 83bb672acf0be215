// fetch_results_day {date, regions? = ['gb','ire'], enrich? = true, force? = false}
// All /v1/results pages of one date, stored with the checkpoint in one transaction (src/racing/fetch-day.ts).
import { ukToday } from '../src/racing/dates.ts';
import { describeOutcome, fetchResultsDay } from '../src/racing/fetch-day.ts';
import { FetchDayPayload } from '../src/racing/payloads.ts';
import { resultsDateProblem } from '../src/racing/rules.ts';
import { defineTask } from '../src/task.ts';

export const fetchResultsDayTask = defineTask('fetch_results_day', {
  schema: FetchDayPayload,
  refuse: (p) => resultsDateProblem(p.date, ukToday()),
  async run(p, { sql, helpers, racingApi }) {
    const { job } = helpers;
    const o = await fetchResultsDay(
      sql,
      racingApi(),
      { ...p, today: ukToday() },
      { attempts: job.attempts, maxAttempts: job.max_attempts },
    );
    helpers.logger.info(describeOutcome(o));
  },
});
