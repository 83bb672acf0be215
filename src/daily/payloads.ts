// Payloads of the scheduled tasks (tasks/daily_*.ts). Every field has a default: the crontab line's JSON5
// payload changes only what it names.

import { z } from 'zod';
import { FetchDayPayload } from '../racing/payloads.ts';
import { RACECARDS_DAYS_AHEAD } from '../racing/rules.ts';
import { CronStamp } from './cron.ts';

const common = {
  regions: FetchDayPayload.shape.regions,
  enrich: z.boolean().default(true),
  _cron: CronStamp,
};

export const DEFAULT_RESULT_DAYS = 3;

export const DailyResultsPayload = z
  .object({
    /** How many dates, ending yesterday, are fetched: yesterday's results plus re-fetches for amendments. */
    days: z.int().min(1).max(366).default(DEFAULT_RESULT_DAYS),
    ...common,
  })
  .strict();

export const DailyRacecardsPayload = z
  .object({
    /** The last date fetched is today + days_ahead. */
    days_ahead: z.int().min(0).max(RACECARDS_DAYS_AHEAD).default(RACECARDS_DAYS_AHEAD),
    ...common,
  })
  .strict();
