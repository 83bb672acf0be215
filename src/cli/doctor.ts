// `npm run doctor`: is everything the queued work needs there? Database, schema, courses (load_courses queued
// once when never loaded), then per account the credentials and what the plan answers (at most 4 calls per
// account, through the shared rate limit and audited in api_requests), then the budgets. One table; exit 0 when
// the queued work can run, else 1.
import Table from 'cli-table3';
import { Command } from 'commander';
import { type CheckLine, checkAccount } from '../account-checks.ts';
import { allAccountStates, gapCovers } from '../accounts.ts';
import { accountsOf, loadRacingApiConfig } from '../config.ts';
import { connect, databaseUrl, describeDbError, describeTarget, type Sql } from '../db.ts';
import { describeCourseLoad, queueCourseLoad } from '../racing/courses.ts';
import { pendingMigrationCount } from '../schema-version.ts';
import { runCommand } from './run.ts';

async function databaseChecks(sql: Sql, url: string): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  try {
    await sql`select 1`;
    lines.push({ check: 'DATABASE_URL reachable', ok: true, detail: describeTarget(url) });
  } catch (error) {
    return [
      {
        check: 'DATABASE_URL reachable',
        ok: false,
        detail: describeDbError(error, url),
        remedy: 'start PostgreSQL or fix DATABASE_URL',
      },
    ];
  }
  const pending = await pendingMigrationCount(sql);
  lines.push(
    pending === 0
      ? { check: 'migrated', ok: true, detail: 'every migration applied' }
      : { check: 'migrated', ok: false, detail: `${pending} migrations pending`, remedy: 'npm run migrate' },
  );
  const [worker] = await sql<{ present: boolean }[]>`
    select to_regclass('graphile_worker._private_jobs') is not null as present`;
  lines.push(
    worker?.present
      ? { check: 'worker schema present', ok: true, detail: 'graphile_worker' }
      : { check: 'worker schema present', ok: false, detail: 'missing', remedy: 'npm run migrate' },
  );
  return lines;
}

/**
 * Courses and regions come from load_courses: queued here once (as by migrate) when they were never loaded.
 * Not blocking: race pages bring their own courses.
 */
async function courseCheck(sql: Sql, schemaReady: boolean): Promise<CheckLine> {
  const setup = schemaReady ? await queueCourseLoad(sql) : { state: 'no_worker_schema' as const };
  const detail = describeCourseLoad(setup);
  return setup.state === 'no_worker_schema'
    ? { check: 'courses loaded', ok: false, detail, remedy: 'npm run migrate (it queues load_courses once)' }
    : { check: 'courses loaded', ok: true, detail };
}

/** Pending dates the recorded plan gaps cover: queued work the plan cannot do. */
async function blockedQueuedDates(sql: Sql): Promise<CheckLine | undefined> {
  const { gaps } = await allAccountStates(sql);
  if (gaps.length === 0) return undefined;
  const pending = await sql<{ source: string; date: string }[]>`
    select source, date::text from fetch_state where status = 'pending'`;
  const ids = new Set(gaps.map((g) => g.accountId));
  const blocked = pending.filter((p) =>
    [...ids].every((id) =>
      gaps.some((g) => g.accountId === id && g.source === p.source && gapCovers(g, p.date)),
    ),
  );
  if (blocked.length === 0) return undefined;
  return {
    check: 'queued work within the plan',
    ok: false,
    detail: `${blocked.length} queued dates are outside the plan (e.g. ${blocked[0]?.source} ${blocked[0]?.date})`,
    remedy: 'upgrade the plan or add-on; else those dates become not_in_plan',
  };
}

// No options; parsed so that --help works and a mistyped flag stops before any check spends a call.
new Command('doctor')
  .showSuggestionAfterError(false)
  .description(
    'Checks the database, the schema, the courses and, per account, the credentials and the plan (at most 4 API calls an account); exit 0 when the queued work can run, else 1.',
  )
  .parse();

runCommand(async () => {
  const url = databaseUrl();
  const config = loadRacingApiConfig();
  const sql = connect(url, { max: 2 });
  const lines: CheckLine[] = [];
  try {
    lines.push(...(await databaseChecks(sql, url)));
    const schemaReady = lines.every((l) => l.ok);
    if (lines[0]?.ok) lines.push(await courseCheck(sql, schemaReady));
    if (schemaReady) {
      for (const account of accountsOf(config)) lines.push(...(await checkAccount(sql, config, account)));
      const blocked = await blockedQueuedDates(sql);
      if (blocked) lines.push(blocked);
    }
  } finally {
    await sql.end();
  }
  const table = new Table({ head: ['check', 'ok', 'detail'], style: { head: [], border: [] } });
  for (const l of lines) table.push([l.check, l.ok ? 'ok' : 'NO', l.detail]);
  console.log(table.toString());
  // Blocking: the database, no account whose credentials answer, or queued work outside the plan. A plan
  // gap alone is a note: it only matters for work that falls in it.
  const credentials = lines.filter((l) => l.check.startsWith('credentials'));
  const isPlanLine = (l: CheckLine) =>
    l.check.startsWith('results older') || l.check.startsWith('racecards') || l.check.startsWith('horses');
  const blocking = lines.filter(
    (l) => !l.ok && !isPlanLine(l) && (!l.check.startsWith('credentials') || credentials.every((c) => !c.ok)),
  );
  for (const l of lines.filter((x) => !x.ok && x.remedy)) {
    console.error(`${blocking.includes(l) ? 'fix' : 'note'}: ${l.check}: ${l.remedy}`);
  }
  return blocking.length > 0 ? 1 : 0;
});
