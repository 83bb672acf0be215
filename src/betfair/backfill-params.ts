// The backfill_ladder payload: the public interface of a ladder backfill (task, CLI and SQL callers).
import { z } from 'zod';
import { isMetricColumn } from './metrics.ts';

const timestamp = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a timestamp (e.g. 2026-02-14 or 2026-02-14T17:00:00Z)');

/**
 * Snapshots per batch (one transaction each). On the 1M-snapshot bench (100,000 NULL rows), 500 took
 * 3.1-3.3 s, 2,000 2.8-3.5 s, 5,000 2.6-2.8 s, 10,000 2.6 s: per-batch costs (candidate query start,
 * planning, round trips, commit) stop mattering around 5,000, which still locks only a few thousand
 * rows for ~0.1 s and loses at most one such batch when a run is killed.
 */
export const DEFAULT_BATCH_SIZE = 5000;

/** The backfill_ladder payload (snake_case, as queued by SQL or the CLI). */
export const backfillParamsSchema = z
  .strictObject({
    dry_run: z.boolean().default(false),
    /** At most this many candidate snapshots (those with a NULL in a chosen column, or no derived row). */
    limit: z.number().int().positive().optional(),
    batch_size: z.number().int().min(1).max(50_000).default(DEFAULT_BATCH_SIZE),
    /** Columns to fill (default: every derived metric column). */
    columns: z
      .array(z.string().refine(isMetricColumn, { error: (issue) => `unknown column ${String(issue.input)}` }))
      .min(1)
      .optional(),
    /** snapshot_at >= since (inclusive). */
    since: timestamp.optional(),
    /** snapshot_at < until (exclusive). */
    until: timestamp.optional(),
    /** Continue this run row (its last_snapshot_id and counts) instead of starting a new one. */
    run_id: z.number().int().positive().optional(),
  })
  .refine(
    (p) => !p.since || !p.until || Date.parse(p.since) < Date.parse(p.until),
    'since must be before until',
  );

export type BackfillParams = z.output<typeof backfillParamsSchema>;
