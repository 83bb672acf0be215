// The date a scheduled job works for. graphile-worker's cron adds `_cron: {ts, backfilled}` to the payload of
// every job it schedules: ts is the scheduled time, also for a run caught up after the worker was down
// (`?fill=`). Dates come from ts, never from the wall clock, so a catch-up run fetches its own day.

import { z } from 'zod';
import { ukToday } from '../racing/dates.ts';

export const CronStamp = z
  .object({
    ts: z.iso.datetime({ offset: true }),
    backfilled: z.boolean().optional(),
  })
  .optional();
export type CronStamp = z.infer<typeof CronStamp>;

/** The scheduled time of the job (now for a job queued by hand, without `_cron`). */
export function scheduledAt(stamp: CronStamp): Date {
  return stamp ? new Date(stamp.ts) : new Date();
}

/** UK date of the job's scheduled time. */
export function scheduledToday(stamp: CronStamp): string {
  return ukToday(scheduledAt(stamp));
}

/** ' (catch-up)' for a backfilled run, for log lines. */
export function catchUpNote(stamp: CronStamp): string {
  return stamp?.backfilled ? ' (catch-up)' : '';
}
