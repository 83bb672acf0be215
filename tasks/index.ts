import type { TaskList } from 'graphile-worker';
import { backfillDatesTask } from './backfill_dates.ts';
import { backfillLadderTask } from './backfill_ladder.ts';
import { dailyRacecardsTask } from './daily_racecards.ts';
import { dailyResultsTask } from './daily_results.ts';
import { enrichHorseTask } from './enrich_horse.ts';
import { enrichNewHorsesTask } from './enrich_new_horses.ts';
import { fetchRacecardsDayTask } from './fetch_racecards_day.ts';
import { fetchResultsDayTask } from './fetch_results_day.ts';
import { ingestMarketBooksTask } from './ingest_market_books.ts';
import { ingestStreamFileTask } from './ingest_stream_file.ts';
import { loadCoursesTask } from './load_courses.ts';
import { pruneApiRequestsTask } from './prune_api_requests.ts';
import { rederiveTask } from './rederive.ts';
import { rederiveDayTask } from './rederive_day.ts';
import { rederiveHorsesTask } from './rederive_horses.ts';

// Every task identifier the kit's workers run. One file per task, each written with defineTask
// (src/task.ts): a zod payload schema and one library call.
export const taskList: TaskList = {
  backfill_dates: backfillDatesTask,
  fetch_results_day: fetchResultsDayTask,
  fetch_racecards_day: fetchRacecardsDayTask,
  enrich_horse: enrichHorseTask,
  ingest_market_books: ingestMarketBooksTask,
  backfill_ladder: backfillLadderTask,
  // The daily schedule (crontab, src/daily/).
  daily_results: dailyResultsTask,
  daily_racecards: dailyRacecardsTask,
  enrich_new_horses: enrichNewHorsesTask,
  prune_api_requests: pruneApiRequestsTask,
  load_courses: loadCoursesTask,
  rederive: rederiveTask,
  rederive_day: rederiveDayTask,
  rederive_horses: rederiveHorsesTask,
  ingest_stream_file: ingestStreamFileTask,
};
