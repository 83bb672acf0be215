import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { Logger, type WorkerEvents } from 'graphile-worker';
import { taskList } from '../../tasks/index.ts';
import { checkCredentials } from '../account-checks.ts';
import { accountsOf, loadRacingApiConfig, type RacingApiConfig } from '../config.ts';
import { CRONTAB_PATH, readSchedule } from '../daily/schedule.ts';
import { connect, databaseUrl, describeTarget } from '../db.ts';
import { pendingMigrationCount } from '../schema-version.ts';
import { drainQueue, startWorker } from '../worker.ts';
import { runCommand } from './run.ts';

function positiveInt(name: string, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
    return n;
  };
}

const program = new Command('worker')
  .showSuggestionAfterError(false)
  .description(
    'Run the graphile-worker tasks (backfill_dates, fetch_results_day, fetch_racecards_day, enrich_horse, …) ' +
      'against DATABASE_URL, and the daily schedule in the crontab file unless --no-schedule. Ctrl-C (SIGINT) or SIGTERM finishes the running jobs and exits; a second signal aborts them ' +
      '(they are retried later). The Racing API settings come from RACING_API_* variables.',
  )
  .option('--once', 'run every job that is due now, then exit')
  .option('--no-schedule', 'do not run the daily schedule (the crontab file); --once never runs it')
  .option('--concurrency <n>', 'jobs run at once in this process', positiveInt('--concurrency', 64), 1)
  .option(
    '--poll-interval <ms>',
    'how often to look for jobs due later (retries); new jobs start at once via LISTEN/NOTIFY',
    positiveInt('--poll-interval', 3_600_000),
    1000,
  )
  .parse();

const opts = program.opts<{ once?: boolean; schedule: boolean; concurrency: number; pollInterval: number }>();

// Job lines (from the tasks' helpers.logger) plus graphile-worker's warnings and errors. Messages never hold
// credentials: the API client and the tasks keep them out of every error text.
const logger = new Logger((scope) => (level, message) => {
  const time = new Date().toISOString().slice(11, 19);
  if (level === 'error' || level === 'warning') console.error(`${time} ${level}: ${message}`);
  else if (level === 'info' && scope.label === 'job') console.log(`${time} ${message}`);
});

async function refuseOldSchema(url: string): Promise<void> {
  const sql = connect(url, { max: 1 });
  try {
    const pending = await pendingMigrationCount(sql);
    if (pending > 0) {
      throw new Error(`the database lacks ${pending} of the kit's migrations: run \`npm run migrate\` first`);
    }
  } finally {
    await sql.end();
  }
}

/**
 * One call per account (a recent results date): credentials that answer clear a stop left by an earlier run
 * (the waiting jobs resume); a 401 stops the account, and with no account left the worker refuses to start.
 * A transient failure (the API down) does not stop the start: the jobs retry on their own.
 */
async function refuseBadCredentials(url: string, config: RacingApiConfig): Promise<void> {
  const sql = connect(url, { max: 1 });
  try {
    const refusals: string[] = [];
    const accounts = accountsOf(config);
    for (const account of accounts) {
      const line = await checkCredentials(sql, config, account).catch((error: Error) => ({
        ok: true,
        check: '',
        detail: error.message,
      }));
      if (!line.ok) refusals.push(`${line.check}: ${line.detail}`);
    }
    if (refusals.length === accounts.length) {
      throw new Error(
        `The Racing API refused the credentials (${refusals.join('; ')}): fix RACING_API_USERNAME/RACING_API_PASSWORD (or RACING_API_ACCOUNTS), then run \`npm run doctor\``,
      );
    }
    for (const refusal of refusals) console.error(`warning: ${refusal}; the other accounts go on`);
  } finally {
    await sql.end();
  }
}

runCommand(async () => {
  const url = databaseUrl();
  // A wrong RACING_API_* setting or an old schema would otherwise fail every job one by one; refuse to start.
  const config = loadRacingApiConfig();
  await refuseOldSchema(url);
  await refuseBadCredentials(url, config);
  const o = {
    connectionString: url,
    concurrency: opts.concurrency,
    pollIntervalMs: opts.pollInterval,
    noHandleSignals: true,
    logger,
  };
  if (opts.once) {
    const started = performance.now();
    await drainQueue(o);
    const mb = (bytes: number) => Math.round(bytes / 1e6);
    const m = process.memoryUsage();
    console.log(
      `queue drained on ${describeTarget(url)} in ${Math.round(performance.now() - started)} ms ` +
        `(memory: ${mb(m.rss)} MB resident, ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB heap, ` +
        `${mb(m.external)} MB external, ${mb(m.arrayBuffers)} MB array buffers)`,
    );
    return 0;
  }
  // graphile-worker's pool stops for good on some database errors (a server shutting down while a job's
  // completion is written). This process then exits non-zero, so that a supervisor (Restart=on-failure)
  // starts a new one, after freeing the jobs its workers still held (else they stay locked for 4 hours).
  const events: WorkerEvents = new EventEmitter();
  const workerIds = new Set<string>();
  events.on('worker:create', ({ worker }) => workerIds.add(worker.workerId));
  // graphile-worker gives up writing a job's outcome when the database stays away through its retries (a
  // server restart); the job would then stay locked by this live process for 4 hours. Jobs locked by our
  // workers that none of them is running are freed after a grace period, so they run again.
  const active = new Set<string>();
  events.on('job:start', ({ job }) => active.add(job.id));
  events.on('job:complete', ({ job }) => active.delete(job.id));
  const sweeper = connect(url, { max: 1 });
  const sweep = setInterval(() => {
    sweeper`
      update graphile_worker._private_jobs set locked_at = null, locked_by = null
      where locked_by = any(${[...workerIds]}::text[]) and locked_at < now() - interval '60 seconds'
        and not (id = any(${[...active]}::bigint[]))`.catch(() => {});
  }, 15_000);
  // A connection closed at the wrong moment can throw outside any job (seen in postgres.js while a server
  // restarts): free our jobs and exit 1 rather than leave them locked by a dead process.
  process.once('uncaughtException', (error) => {
    console.error(`error: ${(error as Error)?.message ?? String(error)}`.split('\n')[0]);
    void unlockOwnJobs(url, [...workerIds]).finally(() => process.exit(1));
  });
  const schedule = opts.schedule ? readSchedule(CRONTAB_PATH, Object.keys(taskList)) : [];
  const runner = await startWorker({ ...o, events, schedule });
  console.log(`worker running on ${describeTarget(url)} (concurrency ${opts.concurrency}); Ctrl-C to stop`);
  console.log(
    opts.schedule
      ? `schedule: ${schedule.length} crontab lines (${schedule.map((i) => i.task).join(', ')}), times in UTC`
      : 'schedule: off (--no-schedule)',
  );
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      console.log(`${signal}: finishing running jobs…`);
      runner.stop(`received ${signal}`).catch(() => {});
    } else {
      console.log(`${signal}: aborting running jobs (they will be retried)`);
      runner.kill(`received ${signal} twice`).catch(() => {});
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let failure: unknown;
  try {
    await runner.promise;
  } catch (error) {
    failure = error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    clearInterval(sweep);
    await sweeper.end({ timeout: 1 }).catch(() => {});
  }
  if (signals === 0 || failure !== undefined) {
    await unlockOwnJobs(url, [...workerIds]);
    throw (
      failure ??
      new Error('the worker pool stopped on a database error; exiting so that a supervisor restarts it')
    );
  }
  console.log('worker stopped');
  return 0;
});

/** Frees the jobs this process's workers held, retrying while the database comes back (about a minute). */
async function unlockOwnJobs(url: string, workerIds: string[]): Promise<void> {
  const sql = connect(url, { max: 1 });
  try {
    for (let attempt = 1; attempt <= 30; attempt++) {
      try {
        await sql`select graphile_worker.force_unlock_workers(${workerIds}::text[])`;
        return;
      } catch {
        await delay(2000);
      }
    }
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}
