import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { betfairDemoViews, demoStreamImport } from '../betfair/demo-stream.ts';
import { connect, databaseUrl, describeTarget } from '../db.ts';
import { startEmbeddedPostgres } from '../demo/embedded-postgres.ts';
import { migrateDatabase } from '../migrate.ts';
import { startSimulator } from '../simulator/index.ts';
import { readVerificationViews } from '../verify.ts';
import { drainQueue } from '../worker.ts';
import { runCommand } from './run.ts';
import { renderTable } from './table.ts';

// The demo runs the kit and its simulator fast; production defaults to 2 requests per second.
const DEMO_RATE_PER_SEC = 100;
const DEMO_DAYS = 7;

new Command('demo')
  .showSuggestionAfterError(false)
  .description(
    'Zero-configuration demo: an embedded PostgreSQL kept in a per-user cache (unless DATABASE_URL is set), the local Racing API ' +
      `simulator, a ${DEMO_DAYS}-day backfill with horse enrichment, then every verification view.`,
  )
  .parse();

function lastDays(days: number): { start: string; end: string } {
  const now = new Date();
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1));
  const start = new Date(end.getTime() - (days - 1) * 86_400_000);
  return { start: start.toISOString().slice(0, 10), end: end.toISOString().slice(0, 10) };
}

async function demoDatabase(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: databaseUrl(), stop: async () => {} };
  console.log('DATABASE_URL is not set: starting an embedded PostgreSQL');
  const server = await startEmbeddedPostgres();
  console.log(`embedded PostgreSQL running from ${server.instanceDir}`);
  // pg_ctl runs the server in the background: an interrupted demo stops it rather than leave it running.
  const onSignal = (signal: NodeJS.Signals) => {
    void server.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const stop = async () => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await server.stop();
  };
  const admin = connect(server.adminUrl, { max: 1 });
  await admin.unsafe('drop database if exists racing_demo with (force)');
  await admin.unsafe('create database racing_demo');
  await admin.end();
  return { url: server.adminUrl.replace(/\/postgres$/, '/racing_demo'), stop };
}

runCommand(async () => {
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  const db = await demoDatabase();
  const credentials = { username: 'demo', password: 'demo-password' };
  const simulator = await startSimulator({ ratePerSec: DEMO_RATE_PER_SEC, ...credentials });
  const sql = connect(db.url, { max: 2 });
  try {
    await migrateDatabase(db.url);
    console.log(`migrated ${describeTarget(db.url)} (${seconds()} s)`);
    Object.assign(process.env, {
      RACING_API_BASE_URL: simulator.url,
      RACING_API_USERNAME: credentials.username,
      RACING_API_PASSWORD: credentials.password,
      RACING_API_RATE_PER_SEC: String(DEMO_RATE_PER_SEC),
    });
    console.log(
      `simulator at ${simulator.url}; the simulator and the kit's rate budget run at ${DEMO_RATE_PER_SEC} requests/s ` +
        'for the demo (the real API allows 2)',
    );
    const { start, end } = lastDays(DEMO_DAYS);
    await sql`
      select graphile_worker.add_job('backfill_dates',
        json_build_object('start_date', ${start}::text, 'end_date', ${end}::text, 'enrich', true))`;
    console.log(`queued backfill_dates ${start}..${end}; running the worker until the queue is empty`);
    await drainQueue({ connectionString: db.url, concurrency: 8, noHandleSignals: true });
    const stats = simulator.stats();
    console.log(`worker done (${seconds()} s): ${stats.total} API requests served by the simulator\n`);
    for (const { view, rows } of await readVerificationViews(sql))
      console.log(`${renderTable(view, rows)}\n`);
    await betfairStep(sql);
    console.log(`demo finished in ${seconds()} s`);
  } finally {
    await sql.end();
    await simulator.close();
    await db.stop();
  }
});

// The Betfair half: a stream archive for some of the simulated races (same horses), imported and linked.
async function betfairStep(sql: ReturnType<typeof connect>) {
  const dir = await mkdtemp(join(tmpdir(), 'kit-demo-stream-'));
  try {
    const { counts } = await demoStreamImport(sql, dir);
    console.log(
      `Betfair: wrote a PRO-like stream archive for ${counts.markets} simulated races and imported it ` +
        `(${counts.messages} messages, ${counts.inserted} snapshots, ${counts.linked} markets linked to races)\n`,
    );
    for (const { view, rows } of await betfairDemoViews(sql)) console.log(`${renderTable(view, rows)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
