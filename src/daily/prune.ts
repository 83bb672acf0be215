// Retention of api_requests: rows older than the cutoff are summarised per UTC day, endpoint and status
// into api_requests_daily and deleted, in one statement (the delete returns exactly the rows it summarises,
// so nothing is counted twice or lost however often it runs). raw_responses is the archive: never pruned.

import type { Sql } from '../db.ts';

export const DEFAULT_RETENTION_DAYS = 90;

export interface PruneOutcome {
  cutoff: string;
  deleted: number;
  summaryRows: number;
}

/** Start of the UTC day `retentionDays` before `at`: whole days are summarised. */
export function retentionCutoff(at: Date, retentionDays: number): Date {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  d.setUTCDate(d.getUTCDate() - retentionDays);
  return d;
}

export async function pruneApiRequests(sql: Sql, cutoff: Date): Promise<PruneOutcome> {
  const [row] = await sql<{ deleted: number; summary_rows: number }[]>`
    with gone as (
      delete from api_requests where requested_at < ${cutoff}
      returning requested_at, endpoint, status, error, bytes, duration_ms
    ),
    summary as (
      insert into api_requests_daily as d (day, endpoint, status, requests, errors, bytes, duration_ms)
      select (requested_at at time zone 'UTC')::date, endpoint, status, count(*), count(error),
             coalesce(sum(bytes), 0), coalesce(sum(duration_ms), 0)
      from gone group by 1, 2, 3
      on conflict (day, endpoint, status) do update set
        requests = d.requests + excluded.requests, errors = d.errors + excluded.errors,
        bytes = d.bytes + excluded.bytes, duration_ms = d.duration_ms + excluded.duration_ms,
        summarised_at = now()
      returning 1
    )
    select (select count(*) from gone)::int as deleted, (select count(*) from summary)::int as summary_rows`;
  return { cutoff: cutoff.toISOString(), deleted: row?.deleted ?? 0, summaryRows: row?.summary_rows ?? 0 };
}
