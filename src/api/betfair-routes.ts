// GET /debug/markets/:market_id/runners?at=ISO: every runner of a market as of a time (the latest snapshot
// at or before `at`; the latest of all without it), with its per-runner metrics and its race link.

import { parseSnapshotTime } from '../betfair/market-books.ts';
import { RUNNER_METRIC_COLUMNS } from '../betfair/runner-metrics.ts';
import type { Sql } from '../db.ts';
import { type Route, sendJson } from './server.ts';

const PATH = /^\/debug\/markets\/([^/]+)\/runners\/?$/;
const METRICS = RUNNER_METRIC_COLUMNS.filter((c) => c !== 'status')
  .map((c) => `m.${c}`)
  .join(', ');

// Snapshot chosen first (one index probe on (market_id, snapshot_at)), then its runner rows.
const RUNNERS_AT = `
WITH s AS (
  SELECT snapshot_id, snapshot_at, status, inplay FROM market_book_snapshots
  WHERE market_id = $1 AND ($2::timestamptz IS NULL OR snapshot_at <= $2::timestamptz)
  ORDER BY snapshot_at DESC LIMIT 1
)
SELECT r.selection_id::float8 AS selection_id, r.name, r.sort_priority, r.status AS runner_status,
  r.removal_date, r.adjustment_factor, r.bsp, m.status AS status_at, ${METRICS},
  h.horse_id, h.race_id, h.method AS link_method
FROM market_runners r
LEFT JOIN s ON true
LEFT JOIN market_runner_metrics m ON m.snapshot_id = s.snapshot_id AND m.selection_id = r.selection_id
LEFT JOIN betfair_runner_horses h ON h.market_id = r.market_id AND h.selection_id = r.selection_id
WHERE r.market_id = $1
ORDER BY r.sort_priority NULLS LAST, r.selection_id`;

export function betfairRoutes(sql: Sql): Route {
  return async (req, res, url) => {
    const match = PATH.exec(url.pathname);
    if (!match) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'only GET is allowed' });
      return true;
    }
    const marketId = decodeURIComponent(match[1] ?? '');
    if (!/^\d+\.\d+$/.test(marketId)) {
      sendJson(res, 400, { error: 'market_id must look like 1.234567' });
      return true;
    }
    const atText = url.searchParams.get('at');
    const at = atText === null ? null : parseSnapshotTime(atText);
    if (at === undefined) {
      sendJson(res, 400, { error: 'at must be an ISO time with a zone, e.g. 2024-06-14T13:29:00Z' });
      return true;
    }
    const [market] = await sql`
      select m.market_id, m.venue, m.market_time, m.market_type, m.market_name, m.status, m.bsp_reconciled,
             l.race_id, l.method as link_method, l.reason as unlinked_reason
      from betfair_markets m left join betfair_market_races l using (market_id)
      where m.market_id = ${marketId}`;
    const [snapshot] = await sql`
      select snapshot_id::float8 as snapshot_id, snapshot_at, status, inplay from market_book_snapshots
      where market_id = ${marketId} and (${at}::timestamptz is null or snapshot_at <= ${at}::timestamptz)
      order by snapshot_at desc limit 1`;
    const runners = await sql.unsafe(RUNNERS_AT, [marketId, at]);
    if (!market && runners.length === 0) {
      sendJson(res, 404, { error: `market ${marketId} not found` });
      return true;
    }
    sendJson(res, 200, { market: market ?? { market_id: marketId }, snapshot: snapshot ?? null, runners });
    return true;
  };
}
