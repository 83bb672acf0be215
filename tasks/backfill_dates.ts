// backfill_dates {start_date, end_date, regions? = ['gb','ire'], source? = 'auto', enrich? = true, force? = false}
// Plans (source, date) pairs and queues one fetch job per pair not yet done, in one statement. No API call.
import { ukToday } from '../src/racing/dates.ts';
import { BackfillDatesPayload } from '../src/racing/payloads.ts';
import { queueBackfill } from '../src/racing/plan.ts';
import { backfillRangeProblem } from '../src/racing/rules.ts';
import { defineTask } from '../src/task.ts';

export const backfillDatesTask = defineTask('backfill_dates', {
  schema: BackfillDatesPayload,
  refuse: (p) => backfillRangeProblem(p.end_date, ukToday()),
  async run(p, { sql, helpers }) {
    const started = performance.now();
    const q = await queueBackfill(sql, {
      startDate: p.start_date,
      endDate: p.end_date,
      regions: p.regions,
      source: p.source,
      enrich: p.enrich,
      force: p.force,
      today: ukToday(),
    });
    helpers.logger.info(
      `backfill ${p.start_date}..${p.end_date} (${p.source}, ${p.regions.join(',')}): ${q.pairs} pairs, ` +
        `${q.queued} queued, ${q.done} already done, ${Math.round(performance.now() - started)} ms`,
    );
  },
});
