import type { TaskList } from 'graphile-worker';
import { backfillDates } from './backfill_dates.ts';
import { enrichHorseTask } from './enrich_horse.ts';
import { fetchRacecardsDayTask } from './fetch_racecards_day.ts';
import { fetchResultsDayTask } from './fetch_results_day.ts';

// Every task identifier the kit's workers run. One file per task; each parses its payload with zod
// and hands over to library code in src/.
export const taskList: TaskList = {
  backfill_dates: backfillDates,
  fetch_results_day: fetchResultsDayTask,
  fetch_racecards_day: fetchRacecardsDayTask,
  enrich_horse: enrichHorseTask,
};
