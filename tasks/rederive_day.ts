// rederive_day {source: 'results' | 'racecards', date}: one date's rows from its stored pages, in one
// transaction, through the fetch's own mapping and loaders. No API call (src/racing/rederive.ts). A stored
// page that no longer passes the schema is recorded in job_errors; nothing of the date is written.
import { recordJobError } from '../src/job-errors.ts';
import { describeRederiveDay, RederiveDayPayload, rederiveDay } from '../src/racing/rederive.ts';
import { defineTask } from '../src/task.ts';

export const rederiveDayTask = defineTask('rederive_day', {
  schema: RederiveDayPayload,
  async run(p, { sql, helpers }) {
    const o = await rederiveDay(sql, p.source, p.date);
    if (o.status !== 'failed') {
      helpers.logger.info(describeRederiveDay(o));
      return;
    }
    helpers.logger.warn(describeRederiveDay(o));
    await recordJobError(sql, {
      task: 'rederive_day',
      jobId: helpers.job.id,
      jobKey: helpers.job.key,
      payload: p,
      kind: 'invalid_response',
      error: o.error ?? 'stored page invalid',
    });
  },
});
