// rederive {source? = all of results, racecards, horses, start_date?, end_date?}
// Rebuilds rows from raw_responses with zero API calls: queues one rederive_day job per stored (source, date)
// and rederive_horses jobs for the stored horse answers (src/racing/rederive.ts).
import { queueRederive, RederivePayload } from '../src/racing/rederive.ts';
import { defineTask } from '../src/task.ts';

export const rederiveTask = defineTask('rederive', {
  schema: RederivePayload,
  async run(p, { sql, helpers }) {
    const q = await queueRederive(sql, p);
    helpers.logger.info(
      `rederive queued ${q.results} results dates, ${q.racecards} racecards dates, ` +
        `${q.horses} horses in ${q.horseJobs} jobs`,
    );
  },
});
