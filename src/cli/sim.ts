import { Command, InvalidArgumentError, Option } from 'commander';
import { isPlan, PLANS, type Plan } from '../simulator/plans.ts';
import { type SimulatorAccount, startSimulator } from '../simulator/server.ts';
import { runCommand } from './run.ts';

/** 'user:password' or 'user:password@plan'; the suffix is a plan only when it names one. */
function parseAccount(value: string, n: number): SimulatorAccount {
  const colon = value.indexOf(':');
  let password = value.slice(colon + 1);
  const at = password.lastIndexOf('@');
  const suffix = at >= 0 ? password.slice(at + 1) : '';
  const plan = isPlan(suffix) ? suffix : undefined;
  if (plan) password = password.slice(0, at);
  // The message never repeats the value: it holds a password.
  if (colon <= 0 || password === '') {
    throw new Error(`--account number ${n} must look like username:password or username:password@plan`);
  }
  return plan
    ? { username: value.slice(0, colon), password, plan }
    : { username: value.slice(0, colon), password };
}

/** Collects the raw values; they are checked in parseAccount, whose errors leave the password out (commander's would not). */
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a non-negative integer');
  return Number(value);
}

const program = new Command('sim')
  .showSuggestionAfterError(false)
  .description(
    'Run the local Racing API simulator (deterministic GB+IRE racecards, results, horses and courses) for tests, ' +
      'the demo and benchmarks. Never a substitute for the real API in production.',
  )
  .option('--port <n>', 'port to listen on (0 = random free port)', positiveInt, 4010)
  .option('--host <host>', 'interface to bind', '127.0.0.1')
  .option('--rate <n>', 'per-account requests per second (0 = unlimited)', positiveInt, 0)
  .option('--retry-after <seconds>', 'send Retry-After on 429 answers', positiveInt)
  .option('--username <u>', 'require HTTP Basic with this username')
  .option('--password <p>', 'require HTTP Basic with this password')
  .option(
    '--account <user:password[@plan]>',
    'one more account (repeatable), each with its own rate-limit window; @plan overrides --plan',
    collect,
  )
  .addOption(
    new Option('--plan <plan>', 'what the accounts may call; a missing endpoint or date answers 401')
      .choices([...PLANS])
      .default('pro-historical'),
  )
  .addOption(
    new Option('--results-limit-max <n>', 'largest results page: 50 (2025 spec) or 100 (v1.4.3)')
      .choices(['50', '100'])
      .default('50'),
  )
  .addOption(
    new Option('--outside-window <mode>', 'racecards answer outside 2023-01-23..today+7')
      .choices(['empty', '404', '422'])
      .default('empty'),
  )
  .option(
    '--today <date>',
    'pretend today is this YYYY-MM-DD (racecard window, no results from today on, 12-month results window)',
  )
  .option('--seed <s>', 'data seed: same seed and date give identical data', 'default')
  .option('--verbose', 'print request counts by endpoint and status (every second, when they change)', false)
  .configureOutput({
    // One-line errors for bad flags, as every kit command does.
    outputError: (text, write) => write(`error: ${text.replace(/^error: /, '').trim()}\n`),
  })
  .exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : 1);
  })
  .parse();

const opts = program.opts<{
  port: number;
  host: string;
  rate: number;
  retryAfter?: number;
  username?: string;
  password?: string;
  account?: string[];
  plan: Plan;
  resultsLimitMax: '50' | '100';
  outsideWindow: 'empty' | '404' | '422';
  today?: string;
  seed: string;
  verbose: boolean;
}>();

runCommand(async () => {
  if ((opts.username === undefined) !== (opts.password === undefined)) {
    throw new Error('--username and --password go together');
  }
  if (opts.today !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.today)) {
    throw new Error(`--today must be YYYY-MM-DD, got ${opts.today}`);
  }
  const sim = await startSimulator({
    port: opts.port,
    host: opts.host,
    ratePerSec: opts.rate,
    retryAfterOn429: opts.retryAfter,
    username: opts.username,
    password: opts.password,
    accounts: (opts.account ?? []).map((value, i) => parseAccount(value, i + 1)),
    plan: opts.plan,
    resultsLimitMax: opts.resultsLimitMax === '100' ? 100 : 50,
    outsideWindow: opts.outsideWindow,
    today: opts.today,
    seed: opts.seed,
  });
  const accounts = (opts.account?.length ?? 0) + (opts.username === undefined ? 0 : 1);
  const access = accounts === 0 ? 'no credentials asked' : `${accounts} account${accounts === 1 ? '' : 's'}`;
  console.log(`Racing API simulator listening on ${sim.url} (plan ${opts.plan}, ${access})`);
  let reported = 0;
  const verbose = opts.verbose
    ? setInterval(() => {
        const stats = sim.stats();
        if (stats.total !== reported) {
          reported = stats.total;
          console.log(
            `requests ${stats.total} by endpoint ${JSON.stringify(stats.byEndpoint)} by status ${JSON.stringify(stats.byStatus)}`,
          );
        }
      }, 1000)
    : undefined;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (verbose) clearInterval(verbose);
  await sim.close();
  console.log('simulator stopped');
});
