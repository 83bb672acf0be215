import type postgres from 'postgres';

// API request activity for the report: the 24 hours ending at the newest api_requests row (not now(),
// so an overnight run can still be looked at the next day), counted per minute and status in SQL.

export const ACTIVITY_WINDOW_HOURS = 24;
/** to_char format of an instant in UTC as ISO 8601. */
export const ISO_UTC = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';

export interface StatusCount {
  /** HTTP status, or null when no response arrived (network error, timeout). */
  status: number | null;
  count: number;
}

export interface RequestActivity {
  /** Exclusive start and inclusive end (the newest request) of the window; null with no requests. */
  windowStart: string | null;
  windowEnd: string | null;
  total: number;
  peakPerMinute: number;
  /** Average over the minutes from the first to the last request in the window. */
  avgPerMinute: number;
  byStatus: StatusCount[];
  /** Every minute (UTC, ISO) from the first to the last request in the window, gaps included. */
  minutes: string[];
  /** One series per status, counts aligned with `minutes`. */
  perMinute: { status: number | null; counts: number[] }[];
}

export async function loadRequestActivity(sql: postgres.TransactionSql): Promise<RequestActivity> {
  const hours = ACTIVITY_WINDOW_HOURS;
  const series = await sql<{ status: number | null; counts: number[]; minutes: string[] }[]>`
    with bounds as (
      select max(requested_at) as window_end, max(requested_at) - make_interval(hours => ${hours}) as window_start
      from api_requests
    ),
    -- status -1 stands for "no response" so the dense grid below joins on plain equality (hash join).
    counted as (
      select date_trunc('minute', a.requested_at) as minute, coalesce(a.status, -1) as status, count(*)::int as n
      from api_requests a, bounds b
      where a.requested_at > b.window_start and a.requested_at <= b.window_end
      group by 1, 2
    ),
    minutes as (
      select generate_series(min(minute), max(minute), interval '1 minute') as minute from counted
    )
    select nullif(s.status, -1) as status,
      array_agg(coalesce(c.n, 0) order by m.minute) as counts,
      array_agg(to_char(m.minute at time zone 'UTC', ${ISO_UTC}) order by m.minute) as minutes
    from (select distinct status from counted) s
    cross join minutes m
    left join counted c on c.minute = m.minute and c.status = s.status
    group by s.status
    order by s.status = -1, s.status`;
  const [bounds] = await sql<{ windowStart: string | null; windowEnd: string | null }[]>`
    select to_char((max(requested_at) - make_interval(hours => ${hours})) at time zone 'UTC', ${ISO_UTC}) as "windowStart",
      to_char(max(requested_at) at time zone 'UTC', ${ISO_UTC}) as "windowEnd"
    from api_requests`;
  const perMinute = series.map(({ status, counts }) => ({ status, counts }));
  const minutes = series[0]?.minutes ?? [];
  const totals = minutes.map((_, i) => sum(perMinute.map((s) => s.counts[i] ?? 0)));
  const total = sum(totals);
  return {
    windowStart: bounds?.windowStart ?? null,
    windowEnd: bounds?.windowEnd ?? null,
    total,
    peakPerMinute: Math.max(0, ...totals),
    avgPerMinute: minutes.length > 0 ? Math.round((100 * total) / minutes.length) / 100 : 0,
    byStatus: perMinute.map(({ status, counts }) => ({ status, count: sum(counts) })),
    minutes,
    perMinute,
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
