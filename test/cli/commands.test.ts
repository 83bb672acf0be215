import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, test } from 'vitest';
import { useTestDatabase } from '../helpers/db.ts';

const exec = promisify(execFile);
const db = useTestDatabase();

function cli(name: string, args: string[], env: Record<string, string | undefined> = {}) {
  const file = fileURLToPath(new URL(`../../src/cli/${name}.ts`, import.meta.url));
  return exec(process.execPath, [file, ...args], {
    env: { ...process.env, DATABASE_URL: db.url, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

describe('npm run backfill', () => {
  beforeEach(async () => {
    await db.sql`delete from graphile_worker._private_jobs`;
  });

  test('queues one backfill_dates job with the validated payload', async () => {
    const r = await cli('backfill', [
      '--start-date',
      '2024-01-01',
      '--end-date',
      '2024-01-31',
      '--regions',
      'IRE',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^queued backfill_dates 2024-01-01\.\.2024-01-31 \(auto, regions ire\)/);
    const jobs = await db.sql`
      select t.identifier as task_identifier, payload::jsonb as payload, key from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id`;
    expect(jobs).toEqual([
      {
        task_identifier: 'backfill_dates',
        key: 'backfill_dates:2024-01-01:2024-01-31:auto:ire',
        payload: {
          start_date: '2024-01-01',
          end_date: '2024-01-31',
          regions: ['ire'],
          source: 'auto',
          enrich: true,
          force: false,
        },
      },
    ]);
  });

  test('--test queues the last 7 days, --no-enrich and --force reach the payload', async () => {
    const r = await cli('backfill', ['--test', '--no-enrich', '--force', '--source', 'results']);
    expect(r.code).toBe(0);
    const [job] = await db.sql`select payload::jsonb as p from graphile_worker._private_jobs`;
    const { start_date, end_date, enrich, force, source } = job?.p ?? {};
    expect({ enrich, force, source }).toEqual({ enrich: false, force: true, source: 'results' });
    const days = (Date.parse(end_date) - Date.parse(start_date)) / 86_400_000;
    expect(days).toBe(6);
    expect(end_date < new Date().toISOString().slice(0, 10)).toBe(true);
  });

  test.each([
    [['--start-date', '2024-02-30'], /^error: option '--start-date <date>' argument '2024-02-30' is invalid/],
    [['--start-date', '2024-01-05', '--end-date', '2024-01-01'], /^error: --end-date 2024-01-01 is before/],
    [['--start-date', '2024-01-01', '--regions', 'gb,xx'], /^error: .*unknown region "xx"/],
    [
      ['--start-date', '2024-01-01', '--source', 'odds'],
      /^error: option '--source <source>' argument 'odds' is invalid/,
    ],
    [['--bogus'], /^error: unknown option '--bogus'/],
    [[], /^error: --start-date is required/],
  ])('bad flags %j: one line, exit 1, nothing queued', async (args, message) => {
    const r = await cli('backfill', args);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    const [n] = await db.sql`select count(*)::int as n from graphile_worker._private_jobs`;
    expect(n?.n).toBe(0);
  });
});

describe('npm run worker flags', () => {
  test.each([
    [['--concurrency', '0'], /^error: --concurrency 0 needs --enrich-concurrency/],
    [['--enrich-concurrency', '-1'], /^error: option '--enrich-concurrency <n>' argument '-1' is invalid/],
  ])('bad flags %j: one line, exit 1', async (args, message) => {
    const r = await cli('worker', args);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });
});

describe('npm run doctor flags', () => {
  test('a mistyped flag: one line, exit 1, no check run and no call made', async () => {
    const r = await cli('doctor', ['--bogus'], {
      RACING_API_USERNAME: 'u',
      RACING_API_PASSWORD: 'p',
      // Were the checks to run, they would fail here at once, not wait on the network.
      RACING_API_BASE_URL: 'http://127.0.0.1:9/',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(/^error: unknown option '--bogus'/);
    const [n] = await db.sql`select count(*)::int as n from api_requests`;
    expect(n?.n).toBe(0);
  });
});

describe('npm run status and npm run verify', () => {
  test('status shows progress per source, failed dates with their error, and the queue', async () => {
    await db.sql`
      insert into fetch_state (source, date, status, pages, last_error, error_path, http_status)
      values ('results', '2024-01-01', 'done', 1, null, null, 200),
             ('results', '2024-01-02', 'failed', null, 'response failed validation', 'results.0.race_id', 200),
             ('results', '2024-01-03', 'pending', null, null, null, null),
             ('results', '2024-01-04', 'pending', null, null, null, null)`;
    const r = await cli('status', []);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/results\s+\|.*\| 50% 2\/4 dates finished \(1 failed\)/);
    expect(r.stdout).toMatch(/2024-01-02.*response failed validation.*results\.0\.race_id/);
    expect(r.stdout).toMatch(/API requests: 0\.00\/s/);
  });

  test('verify prints every view as a table and exits 2 when runners are orphaned', async () => {
    const ok = await cli('verify', []);
    expect(ok.code).toBe(0);
    for (const view of [
      'v_runner_coverage_by_year',
      'v_horse_enrichment',
      'v_l1_null_counts',
      'v_backfill_progress',
    ])
      expect(ok.stdout).toContain(view);
    await db.sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`insert into ra_mst_runners (race_id, horse_id) values ('rac_gone', 'hrs_gone')`;
    });
    const orphaned = await cli('verify', ['--json']);
    expect(orphaned.code).toBe(2);
    expect(JSON.parse(orphaned.stdout).v_orphaned_runners).toEqual([
      expect.objectContaining({ race_id: 'rac_gone', horse_id: 'hrs_gone', missing: 'horse and race' }),
    ]);
  });

  test('without DATABASE_URL every command says so in one line', async () => {
    for (const name of ['status', 'verify', 'backfill']) {
      const r = await cli(name, name === 'backfill' ? ['--test'] : [], { DATABASE_URL: undefined });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/^error: DATABASE_URL is not set/);
    }
  });
});
