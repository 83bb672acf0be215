// rederive_horses {horse_ids}: stored /horses/{id}/pro answers into ra_horses and ra_horse_pedigree, in one
// transaction, through enrich_horse's own mapping. No API call (src/racing/rederive.ts).
import { RederiveHorsesPayload, rederiveHorses } from '../src/racing/rederive.ts';
import { defineTask } from '../src/task.ts';

export const rederiveHorsesTask = defineTask('rederive_horses', {
  schema: RederiveHorsesPayload,
  async run(p, { sql, helpers }) {
    const o = await rederiveHorses(sql, p.horse_ids);
    helpers.logger.info(
      `rederive horses: ${o.enriched} enriched, ${o.notAvailable} not available, ${o.skipped} skipped (0 calls)`,
    );
  },
});
