import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Sql } from '../db.ts';
import { loadCoverage } from './coverage.ts';
import { renderReportHtml } from './html.ts';

/** The API server's extra-route shape: true when the handler answered the request. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

const PATHS = new Set(['/report', '/api/coverage']);

/**
 * GET /report (the coverage report as HTML) and GET /api/coverage (its numbers as JSON).
 * Any other path is left to the caller (false). Each request reads the database afresh.
 */
export function reportRoutes(sql: Sql): RouteHandler {
  return async (req, res, url) => {
    if (!PATHS.has(url.pathname)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return true;
    }
    const coverage = await loadCoverage(sql);
    const [type, body] =
      url.pathname === '/report'
        ? ['text/html; charset=utf-8', renderReportHtml(coverage)]
        : ['application/json; charset=utf-8', JSON.stringify(coverage)];
    res.writeHead(200, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
