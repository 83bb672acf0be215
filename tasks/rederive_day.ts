// rederive_day {source: 'results' | 'racecards', date}: one date's rows from its stored pages, in one
// transaction, through the fetch's own mapping and loaders. No API call (src/racing/rederive.ts).
import { describeRederiveDay, RederiveDayPayload, rederiveDay } from '../src/racing/rederive.ts';
import { defineTask } from '../src/task.ts';

export const rederiveDayTask = defineTask('rederive_day', {
  schema: RederiveDayPayload,
  async run(p, { sql, helpers }) {
    const o = await rederiveDay(sql, p.source, p.date);
    if (o.status === 'failed') helpers.logger.warn(describeRederiveDay(o));
    else helpers.logger.info(describeRederiveDay(o));
  },
});
