import { Command, InvalidArgumentError, Option } from 'commander';
import { allAccountStates, clearPlanGap, describeGap } from '../accounts.ts';
import { loadRacingApiConfig } from '../config.ts';
import { connect, databaseUrl, type Sql } from '../db.ts';
import { describeIssues } from '../describe-issues.ts';
import { ukToday } from '../racing/dates.ts';
import { describeEstimate, estimateBackfill } from '../racing/estimate.ts';
import { BackfillDatesPayload, DEFAULT_REGIONS, KNOWN_REGIONS } from '../racing/payloads.ts';
import { runCommand } from './run.ts';

const REGIONS: readonly string[] = KNOWN_REGIONS;
const SOURCES = ['auto', 'results', 'racecards', 'both'];

function isoDate(value: string): string {
  const d = new Date(`${value}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(d.getTime()) ||
    d.toISOString().slice(0, 10) !== value
  ) {
    throw new InvalidArgumentError(`"${value}" is not a date (YYYY-MM-DD)`);
  }
  return value;
}

function regionList(value: string): string[] {
  const regions = value.split(',').map((r) => r.trim().toLowerCase());
  const unknown = regions.filter((r) => !REGIONS.includes(r));
  if (unknown.length > 0 || regions.length === 0) {
    throw new InvalidArgumentError(`unknown region "${unknown.join(',')}" (known: ${REGIONS.join(', ')})`);
  }
  return [...new Set(regions)];
}

const program = new Command('backfill')
  .showSuggestionAfterError(false)
  .description(
    'Queue a backfill: one backfill_dates job, which fans out one fetch job per (source, date). ' +
      "Equivalent SQL: SELECT graphile_worker.add_job('backfill_dates', json_build_object(...)). Run `npm run worker` to do the work.",
  )
  .option('--start-date <date>', 'first date, YYYY-MM-DD', isoDate)
  .option('--end-date <date>', 'last date, YYYY-MM-DD (default: the start date)', isoDate)
  .option('--regions <list>', 'comma-separated region codes', regionList, DEFAULT_REGIONS)
  .option('--dry-run', 'print the dates, calls by endpoint, hours and storage it expects; queue nothing')
  .addOption(
    new Option(
      '--source <source>',
      'results, racecards, both, or auto (results for past dates plus racecards from 2023-01-23)',
    )
      .choices(SOURCES)
      .default('auto'),
  )
  .option('--no-enrich', 'do not queue enrich_horse jobs for new horses')
  .option('--test', 'the last 7 days (ignores --start-date/--end-date)')
  .option('--force', 'fetch again dates that are already done')
  .parse();

interface Flags {
  startDate?: string;
  endDate?: string;
  regions: string[];
  source: string;
  enrich: boolean;
  test?: boolean;
  force?: boolean;
  dryRun?: boolean;
}

/** --dry-run: the plan and its cost, read from the database and the RACING_API_* budgets; nothing queued. */
async function printDryRun(payload: BackfillDatesPayload): Promise<void> {
  const config = loadRacingApiConfig();
  const sql = connect(databaseUrl(), { max: 1 });
  try {
    const estimate = await estimateBackfill(
      sql,
      {
        startDate: payload.start_date,
        endDate: payload.end_date,
        regions: payload.regions,
        source: payload.source,
        enrich: payload.enrich,
        force: payload.force,
        today: ukToday(),
      },
      config,
    );
    console.log(
      `backfill ${payload.start_date}..${payload.end_date} (${payload.source}, regions ${payload.regions.join(',')}` +
        `${payload.enrich ? '' : ', no enrichment'}${payload.force ? ', force' : ''})`,
    );
    for (const line of describeEstimate(estimate)) console.log(line);
  } finally {
    await sql.end();
  }
}

function dateRange(flags: Flags): { start: string; end: string } {
  if (flags.test) {
    const today = new Date();
    const end = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 1));
    const start = new Date(end.getTime() - 6 * 86_400_000);
    return { start: start.toISOString().slice(0, 10), end: end.toISOString().slice(0, 10) };
  }
  if (!flags.startDate) throw new Error('--start-date is required (or --test for the last 7 days)');
  const end = flags.endDate ?? flags.startDate;
  if (end < flags.startDate) throw new Error(`--end-date ${end} is before --start-date ${flags.startDate}`);
  return { start: flags.startDate, end };
}

/**
 * What the last `npm run doctor` (or a worker) found outside the plan, for dates in this range: a warning
 * (those dates become not_in_plan without a call); with --force the gaps are forgotten, so they are tried again.
 */
async function warnAboutPlanGaps(sql: Sql, start: string, end: string, force: boolean): Promise<void> {
  const { gaps } = await allAccountStates(sql);
  const hit = gaps.filter((g) => (g.firstDate ?? start) <= end && (g.lastDate ?? end) >= start);
  for (const gap of hit) {
    console.error(
      force
        ? `--force: trying again what was found outside the plan: ${describeGap(gap)}`
        : `warning: ${describeGap(gap)}; those dates will be not_in_plan (--force tries them again)`,
    );
    if (force) await clearPlanGap(sql, gap.accountId, gap.source);
  }
}

runCommand(async () => {
  const flags = program.opts<Flags>();
  const { start, end } = dateRange(flags);
  // The task validates again (payloads can come from SQL too); checking here gives the error before queueing.
  const checked = BackfillDatesPayload.safeParse({
    start_date: start,
    end_date: end,
    regions: flags.regions,
    source: flags.source,
    enrich: flags.enrich,
    force: flags.force ?? false,
  });
  if (!checked.success) throw new Error(describeIssues(checked.error));
  const payload = checked.data;
  if (flags.dryRun) {
    await printDryRun(payload);
    return;
  }
  const sql = connect(databaseUrl(), { max: 1 });
  try {
    await warnAboutPlanGaps(sql, start, end, payload.force);
    const [job] = await sql`
      select (graphile_worker.add_job(
        'backfill_dates',
        (${JSON.stringify(payload)}::text)::json,
        job_key := ${`backfill_dates:${start}:${end}:${payload.source}:${payload.regions.join(',')}`},
        max_attempts := 5
      )).id`;
    console.log(
      `queued backfill_dates ${start}..${end} (${payload.source}, regions ${payload.regions.join(',')}` +
        `${payload.enrich ? '' : ', no enrichment'}${payload.force ? ', force' : ''}) as job ${job?.id}; ` +
        'run `npm run worker` to process it and `npm run status` to follow it',
    );
  } finally {
    await sql.end();
  }
});
