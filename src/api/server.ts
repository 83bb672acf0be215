import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type postgres from 'postgres';
import { ROLE_FIELDS, ROLES } from '../betfair/metrics.ts';
import { connect, describeDbError, type Sql } from '../db.ts';
import { reportRoutes } from '../report/routes.ts';
import { betfairRoutes } from './betfair-routes.ts';
import { API_DEFAULTS, checkBindAllowed } from './config.ts';

/**
 * A route: answers the request and returns true, or returns false to let the next route try.
 * Other modules add routes with one line: createApiServer({ sql, extraRoutes: [myRoute] }).
 */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export interface ApiServerOptions {
  /** A client whose connections are read-only (see readOnlyClient). */
  sql: Sql;
  /** Tried first, in order, before the debug routes. */
  extraRoutes?: readonly Route[];
  /** When set, every request needs `Authorization: Bearer <token>` (401 otherwise). */
  token?: string | undefined;
  /** statement_timeout of each debug request's queries (default 5000). */
  statementTimeoutMs?: number;
  /** The most rows any endpoint returns: the ?limit ceiling (default 500). */
  maxRows?: number;
  /** The report's numbers are computed at most once per this many seconds (default 60). */
  reportCacheSeconds?: number;
  /** statement_timeout of that computation (default 60000). */
  reportTimeoutMs?: number;
  /** Where the details of a 500 go, one line each (default stderr). */
  log?: (line: string) => void;
}

/**
 * A postgres.js client that cannot write: every transaction on its connections is READ ONLY
 * (default_transaction_read_only, sent at connection start). Connect with a read-only role as well
 * for defence in depth: API_DATABASE_URL=postgres://kit_reader:…@127.0.0.1:5432/racing.
 */
export function readOnlyClient(url: string, max = 4): Sql {
  return connect(url, {
    max,
    connection: { default_transaction_read_only: true, application_name: 'kit-api' },
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const MARKET_ID = /^1\.\d+$/;

function parseLimit(value: string | null, maxRows: number): number {
  if (value === null) return Math.min(50, maxRows);
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > maxRows)
    throw new HttpError(400, `limit must be an integer from 1 to ${maxRows}`);
  return n;
}

/** Decodes one path segment; a bad % escape is the client's mistake (400), not the server's. */
function pathSegment(value: string | undefined): string {
  try {
    return decodeURIComponent(value ?? '');
  } catch {
    throw new HttpError(400, 'malformed URL: bad % escape');
  }
}

type Tx = postgres.TransactionSql;

/** Runs fn in one READ ONLY transaction whose statements are cancelled after ms (statement_timeout, local). */
async function withStatementTimeout<T>(sql: Sql, ms: number, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return (await sql.begin('read only', async (tx) => {
    await tx`select set_config('statement_timeout', ${String(ms)}, true)`;
    return fn(tx);
  })) as T;
}

// Newest first, any age (the earlier API silently limited ?limit=1 to the last 24 hours). LEFT JOINs:
// a snapshot without a derived row is shown (has_derived_row false), not hidden.
const SNAPSHOTS = `
SELECT s.snapshot_id::float8 AS snapshot_id,
       to_char(s.snapshot_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS snapshot_at,
       s.market_id, s.status, s.inplay, s.total_matched, s.source,
       d.snapshot_id IS NOT NULL AS has_derived_row,
       d.total_volume,
       ${ROLES.flatMap((r) => [
         ...ROLE_FIELDS.map((f) => `d.${r}_${f}`),
         `d.${r}_best_lay - d.${r}_best_back AS ${r}_spread`,
       ]).join(',\n       ')},
       d.calculation_version,
       e.market_name, e.event_id, e.event_name, e.competition_name,
       to_char(e.event_open_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS event_open_date,
       ${ROLES.map((r) => `e.${r}_selection_id::float8 AS ${r}_selection_id, e.${r}_runner_name`).join(',\n       ')}
FROM market_book_snapshots s
LEFT JOIN market_derived_metrics d ON d.snapshot_id = s.snapshot_id
LEFT JOIN market_event_metadata e ON e.market_id = s.market_id
WHERE s.market_id = $1
ORDER BY s.snapshot_at DESC, s.snapshot_id DESC
LIMIT $2`;

async function marketSnapshots(sql: Tx, marketId: string, limit: number) {
  if (!MARKET_ID.test(marketId)) throw new HttpError(400, 'market_id must be "1." followed by digits');
  const rows = await sql.unsafe(SNAPSHOTS, [marketId, limit]);
  if (rows.length === 0) {
    const [known] = await sql`select 1 from market_event_metadata where market_id = ${marketId}`;
    if (!known) throw new HttpError(404, `market ${marketId} not found`);
  }
  return rows;
}

async function snapshotRaw(sql: Tx, id: string) {
  if (!/^\d{1,18}$/.test(id) || Number(id) < 1)
    throw new HttpError(400, 'snapshot_id must be a positive integer');
  const [row] = await sql`
    select snapshot_id::float8 as snapshot_id,
           to_char(snapshot_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as snapshot_at,
           market_id, raw_payload, octet_length(raw_payload::text) as raw_payload_size_bytes
    from market_book_snapshots where snapshot_id = ${id}::bigint`;
  if (!row) throw new HttpError(404, `snapshot ${id} not found`);
  return row;
}

function debugRoutes(sql: Sql, statementTimeoutMs: number, maxRows: number): Route {
  return async (req, res, url) => {
    const market = /^\/debug\/markets\/([^/]+)\/snapshots\/?$/.exec(url.pathname);
    const raw = /^\/debug\/snapshots\/([^/]+)\/raw\/?$/.exec(url.pathname);
    if (!market && !raw) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'only GET is allowed');
    if (market) {
      const limit = parseLimit(url.searchParams.get('limit'), maxRows);
      const marketId = pathSegment(market[1]);
      const rows = await withStatementTimeout(sql, statementTimeoutMs, (tx) =>
        marketSnapshots(tx, marketId, limit),
      );
      sendJson(res, 200, rows);
    } else if (raw) {
      const id = pathSegment(raw[1]);
      sendJson(res, 200, await withStatementTimeout(sql, statementTimeoutMs, (tx) => snapshotRaw(tx, id)));
    }
    return true;
  };
}

/** Constant-time check of `Authorization: Bearer <token>` (both sides hashed, so lengths never differ). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** PostgreSQL's query_canceled: here, the request's statement_timeout. */
const QUERY_CANCELED = '57014';

const stderrLine = (line: string) => {
  process.stderr.write(`${line}\n`);
};

export function createApiServer(options: ApiServerOptions): Server {
  const {
    sql,
    extraRoutes = [],
    token,
    statementTimeoutMs = API_DEFAULTS.statementTimeoutMs,
    maxRows = API_DEFAULTS.maxRows,
    reportCacheSeconds = API_DEFAULTS.reportCacheSeconds,
    reportTimeoutMs = API_DEFAULTS.reportTimeoutMs,
    log = stderrLine,
  } = options;
  // The coverage report (/report, /api/coverage) is served beside the debug endpoints.
  const routes = [
    ...extraRoutes,
    reportRoutes(sql, { cacheSeconds: reportCacheSeconds, statementTimeoutMs: reportTimeoutMs }),
    debugRoutes(sql, statementTimeoutMs, maxRows),
    betfairRoutes(sql),
  ];
  return createServer(async (req, res) => {
    try {
      if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
        res.setHeader('www-authenticate', 'Bearer');
        throw new HttpError(401, 'unauthorized: send Authorization: Bearer <API_TOKEN>');
      }
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        throw new HttpError(400, 'malformed URL');
      }
      for (const route of routes) {
        if (await route(req, res, url)) return;
      }
      throw new HttpError(404, `no route for ${req.method} ${url.pathname}`);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        sendJson(res, error.status, { error: error.message });
        return;
      }
      if (error instanceof URIError) {
        sendJson(res, 400, { error: 'malformed URL: bad % escape' });
        return;
      }
      // The details (the database's own text among them) go to the log only, under an id the client can quote.
      const id = randomUUID();
      const code = (error as { code?: unknown })?.code;
      log(
        `api error ${id}: ${req.method} ${JSON.stringify(req.url)}: ${describeDbError(error)}${typeof code === 'string' ? ` (${code})` : ''}`,
      );
      if (code === QUERY_CANCELED) sendJson(res, 503, { error: 'timeout', id });
      else sendJson(res, 500, { error: 'internal', id });
    }
  });
}

export interface StartApiServerOptions extends ApiServerOptions {
  host: string;
  port: number;
}

/** createApiServer, listening: refuses (throws, before binding) a non-loopback host without a token. */
export async function startApiServer(options: StartApiServerOptions): Promise<Server> {
  checkBindAllowed(options.host, options.token);
  const server = createApiServer(options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
