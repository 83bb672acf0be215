import type { TaskList } from 'graphile-worker';
import { backfillDatesTask } from './backfill_dates.ts';
import { backfillLadderTask } from './backfill_ladder.ts';
import { enrichHorseTask } from './enrich_horse.ts';
import { fetchRacecardsDayTask } from './fetch_racecards_day.ts';
import { fetchResultsDayTask } from './fetch_results_day.ts';
import { ingestMarketBooksTask } from './ingest_market_books.ts';
import { ingestStreamFileTask } from './ingest_stream_file.ts';

// Every task identifier the kit's workers run. One file per task, each written with defineTask
// (src/task.ts): a zod payload schema and one library call.
export const taskList: TaskList = {
  backfill_dates: backfillDatesTask,
  fetch_results_day: fetchResultsDayTask,
  fetch_racecards_day: fetchRacecardsDayTask,
  enrich_horse: enrichHorseTask,
  ingest_market_books: ingestMarketBooksTask,
  backfill_ladder: backfillLadderTask,
  ingest_stream_file: ingestStreamFileTask,
};
