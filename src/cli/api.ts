import { Command, InvalidArgumentError } from 'commander';
import { createApiServer, readOnlyClient } from '../api/server.ts';
import { describeTarget } from '../db.ts';
import { runCommand } from './run.ts';

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
};

const program = new Command('api')
  .description(
    'Read-only HTTP API: GET /debug/markets/:market_id/snapshots?limit=N, ' +
      'GET /debug/snapshots/:snapshot_id/raw, the coverage report at GET /report and its numbers at ' +
      'GET /api/coverage. Connects with API_DATABASE_URL (best: a role with SELECT only), ' +
      'else DATABASE_URL; every transaction is READ ONLY either way.',
  )
  .option('--host <host>', 'address to listen on (API_HOST)', process.env.API_HOST ?? '127.0.0.1')
  .option('--port <port>', 'port (API_PORT)', port, process.env.API_PORT ? port(process.env.API_PORT) : 8080)
  .parse();

runCommand(async () => {
  const { host, port: listenPort } = program.opts<{ host: string; port: number }>();
  const url = process.env.API_DATABASE_URL || process.env.DATABASE_URL;
  if (!url) throw new Error('set API_DATABASE_URL (a read-only role) or DATABASE_URL');
  const sql = readOnlyClient(url);
  await sql`select 1`; // fail now, in one line, if the database is unreachable
  const server = createApiServer({ sql });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, host, resolve);
  });
  const address = server.address();
  const shown =
    typeof address === 'object' && address ? `${address.address}:${address.port}` : `${host}:${listenPort}`;
  console.log(
    `API on http://${shown} (/report, /api/coverage, /debug/…) (read-only, database ${describeTarget(url)}); Ctrl-C stops it`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sql.end({ timeout: 5 });
  return 0;
});
