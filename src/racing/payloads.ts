// Job payloads of the Racing API tasks: the public interface of the backfill. Checked with zod; a payload
// that fails is recorded in job_errors and the job ends without an API call (see src/task.ts).

import { z } from 'zod';
import { isoDate } from './parse.ts';
import { EARLIEST_RESULTS_DATE } from './rules.ts';

/** Region filter codes the kit accepts (lower case, as the API's query parameters expect). */
export const KNOWN_REGIONS = [
  'gb',
  'ire',
  'fr',
  'usa',
  'aus',
  'ger',
  'ity',
  'jpn',
  'saf',
  'spa',
  'uae',
  'hk',
  'can',
  'nz',
] as const;
export const DEFAULT_REGIONS = ['gb', 'ire'];

const dateString = z
  .string()
  .refine((s) => isoDate(s) === s, { message: 'must be a real date as YYYY-MM-DD' })
  .refine((s) => s >= EARLIEST_RESULTS_DATE, { message: `must be on or after ${EARLIEST_RESULTS_DATE}` });

const regions = z
  .array(z.string().transform((s) => s.trim().toLowerCase()))
  .min(1, { message: 'needs at least one region' })
  .refine((list) => list.every((r) => (KNOWN_REGIONS as readonly string[]).includes(r)), {
    message: `unknown region; known: ${KNOWN_REGIONS.join(', ')}`,
  })
  // One canonical order, so job payloads and raw request keys do not depend on how the user spelled them.
  .transform((list) => [...new Set(list)].sort());

export const BackfillDatesPayload = z
  .object({
    start_date: dateString,
    end_date: dateString,
    regions: regions.default(DEFAULT_REGIONS),
    source: z.enum(['auto', 'results', 'racecards', 'both']).default('auto'),
    enrich: z.boolean().default(true),
    force: z.boolean().default(false),
  })
  .refine((p) => p.end_date >= p.start_date, {
    message: 'end_date is before start_date',
    path: ['end_date'],
  });
export type BackfillDatesPayload = z.infer<typeof BackfillDatesPayload>;

export const FetchDayPayload = z.object({
  date: dateString,
  regions: regions.default(DEFAULT_REGIONS),
  enrich: z.boolean().default(true),
  force: z.boolean().default(false),
});
export type FetchDayPayload = z.infer<typeof FetchDayPayload>;

export const EnrichHorsePayload = z.object({
  horse_id: z.string().regex(/^hrs_\d+$/, { message: "must be a horse id like 'hrs_47475190'" }),
});
export type EnrichHorsePayload = z.infer<typeof EnrichHorsePayload>;
