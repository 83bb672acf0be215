import { Command, InvalidArgumentError } from 'commander';
import { Logger } from 'graphile-worker';
import { taskList } from '../../tasks/index.ts';
import { checkCredentials } from '../account-checks.ts';
import { accountsOf, loadRacingApiConfig, type RacingApiConfig } from '../config.ts';
import { CRONTAB_PATH, readSchedule } from '../daily/schedule.ts';
import { connect, databaseUrl, describeTarget } from '../db.ts';
import { pendingMigrationCount } from '../schema-version.ts';
import { drainQueue, hasMainRunner } from '../worker.ts';
import { startWorkerProcess } from '../worker-process.ts';
import { runCommand } from './run.ts';

function wholeNumber(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

const program = new Command('worker')
  .showSuggestionAfterError(false)
  .description(
    'Run the graphile-worker tasks (backfill_dates, fetch_results_day, fetch_racecards_day, enrich_horse, …) ' +
      'against DATABASE_URL, and the daily schedule in the crontab file unless --no-schedule. Ctrl-C (SIGINT) or SIGTERM finishes the running jobs and exits; a second signal aborts them ' +
      '(they are retried later). When the database connection is lost under a running job, it frees its jobs and ' +
      'exits 1: run it under a supervisor that restarts it (README: systemd). The Racing API settings come from ' +
      'RACING_API_* variables.',
  )
  .option('--once', 'run every job that is due now, then exit')
  .option('--no-schedule', 'do not run the daily schedule (the crontab file); --once never runs it')
  .option(
    '--concurrency <n>',
    'jobs run at once in this process (0 with --enrich-concurrency: the enrichment lane only)',
    wholeNumber('--concurrency', 0, 64),
    1,
  )
  .option(
    '--enrich-concurrency <n>',
    'more jobs at once for enrich_horse only (the enrichment lane): horse calls keep the API budget busy ' +
      'while day fetches are written; 0 = enrichment waits behind the day fetches',
    wholeNumber('--enrich-concurrency', 0, 64),
    0,
  )
  .option(
    '--poll-interval <ms>',
    'how often to look for jobs due later (retries); new jobs start at once via LISTEN/NOTIFY',
    wholeNumber('--poll-interval', 1, 3_600_000),
    1000,
  )
  .parse();

const opts = program.opts<{
  once?: boolean;
  schedule: boolean;
  concurrency: number;
  enrichConcurrency: number;
  pollInterval: number;
}>();
if (opts.concurrency === 0 && opts.enrichConcurrency === 0)
  program.error('error: --concurrency 0 needs --enrich-concurrency (a process of the enrichment lane only)');

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
    enrichConcurrency: opts.enrichConcurrency,
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
  const schedule = opts.schedule ? readSchedule(CRONTAB_PATH, Object.keys(taskList)) : [];
  // Exits 1 after a connection lost under a job, for a supervisor to restart it: see src/worker-process.ts.
  const worker = await startWorkerProcess({ ...o, schedule });
  console.log(
    `worker running on ${describeTarget(url)} (concurrency ${opts.concurrency}, enrichment lane ` +
      `${opts.enrichConcurrency}, jobs locked as ` +
      `${worker.lockOwners.join(', ')}); Ctrl-C to stop`,
  );
  console.log(
    !opts.schedule
      ? 'schedule: off (--no-schedule)'
      : !hasMainRunner(o)
        ? 'schedule: off (--concurrency 0: the enrichment lane only; run the schedule in a main worker)'
        : `schedule: ${schedule.length} crontab lines (${schedule.map((i) => i.task).join(', ')}), times in UTC`,
  );
  const code = await worker.ended;
  if (code === 0) console.log('worker stopped');
  // Not a natural exit: a postgres.js client broken by the loss can keep the event loop alive.
  process.exit(code);
});
