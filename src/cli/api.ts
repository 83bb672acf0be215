import { Command, InvalidArgumentError } from 'commander';
import { checkBindAllowed, loadApiConfig } from '../api/config.ts';
import { readOnlyClient, startApiServer } from '../api/server.ts';
import { describeTarget } from '../db.ts';
import { runCommand } from './run.ts';

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
};

const program = new Command('api')
  .showSuggestionAfterError(false)
  .description(
    'Read-only HTTP API: GET /debug/markets/:market_id/snapshots?limit=N, ' +
      'GET /debug/snapshots/:snapshot_id/raw, the coverage report at GET /report and its numbers at ' +
      'GET /api/coverage. Connects with API_DATABASE_URL (best: a role with SELECT only), ' +
      'else DATABASE_URL; every transaction is READ ONLY either way. Off loopback it needs API_TOKEN ' +
      '(clients send Authorization: Bearer <token>).',
  )
  .option('--host <host>', 'address to listen on (API_HOST, default 127.0.0.1)')
  .option('--port <port>', 'port (API_PORT, default 8080)', port)
  .parse();

runCommand(async () => {
  const flags = program.opts<{ host?: string; port?: number }>();
  const config = loadApiConfig();
  const host = flags.host ?? config.host;
  const listenPort = flags.port ?? config.port;
  checkBindAllowed(host, config.token); // before anything connects or listens
  const url = process.env.API_DATABASE_URL || process.env.DATABASE_URL;
  if (!url) throw new Error('set API_DATABASE_URL (a read-only role) or DATABASE_URL');
  const sql = readOnlyClient(url);
  try {
    await sql`select 1`; // fail now, in one line, if the database is unreachable
    const server = await startApiServer({ ...config, sql, host, port: listenPort });
    const address = server.address();
    const shown =
      typeof address === 'object' && address ? `${address.address}:${address.port}` : `${host}:${listenPort}`;
    console.log(
      `API on http://${shown} (/report, /api/coverage, /debug/…) (read-only, database ${describeTarget(url)}${config.token ? ', bearer token required' : ''}); Ctrl-C stops it`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => server.close(() => resolve());
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
  return 0;
});
