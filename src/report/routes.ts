import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_DEFAULTS } from '../api/config.ts';
import type { Sql } from '../db.ts';
import { type Coverage, type CoverageCacheOptions, coverageCache } from './coverage.ts';
import { renderReportHtml } from './html.ts';

/** The API server's extra-route shape: true when the handler answered the request. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

const PATHS = new Set(['/report', '/api/coverage']);

export interface ReportRouteOptions extends Omit<CoverageCacheOptions, 'maxAgeMs'> {
  /** The numbers are computed at most once per this many seconds (API_REPORT_CACHE_SECONDS, default 60). */
  cacheSeconds?: number;
}

/**
 * GET /report (the coverage report as HTML) and GET /api/coverage (its numbers as JSON), both from one cached
 * computation (see coverageCache). Any other path is left to the caller (false).
 */
export function reportRoutes(sql: Sql, options: ReportRouteOptions = {}): RouteHandler {
  const { cacheSeconds = API_DEFAULTS.reportCacheSeconds, ...cacheOptions } = options;
  const coverage = coverageCache(sql, { ...cacheOptions, maxAgeMs: cacheSeconds * 1000 });
  const renderings = new WeakMap<Coverage, { html: string; json: string }>();
  return async (req, res, url) => {
    if (!PATHS.has(url.pathname)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return true;
    }
    const numbers = await coverage();
    // Rendered once per computation too: the same object is served until the next one.
    let rendered = renderings.get(numbers);
    if (!rendered) {
      rendered = { html: renderReportHtml(numbers), json: JSON.stringify(numbers) };
      renderings.set(numbers, rendered);
    }
    const [type, body] =
      url.pathname === '/report'
        ? ['text/html; charset=utf-8', rendered.html]
        : ['application/json; charset=utf-8', rendered.json];
    res.writeHead(200, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
