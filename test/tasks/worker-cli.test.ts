import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, test } from 'vitest';
import { connect } from '../../src/db.ts';
import { withDatabase } from '../global-setup.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { addJob } from '../helpers/racing-worker.ts';

const db = useTestDatabase();
const CLI = fileURLToPath(new URL('../../src/cli/worker.ts', import.meta.url));

function startCli(args: string[], env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, DATABASE_URL: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { child, exited, output: () => stdout };
}

describe('npm run worker', () => {
  test('without DATABASE_URL: one-line error, exit 1', async () => {
    const { exited } = startCli(['--once'], {});
    const r = await exited;
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: DATABASE_URL is not set/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('a wrong RACING_API_* setting stops it before any job runs: one line, exit 1', async () => {
    await addJob(db.sql, 'enrich_horse', { horse_id: 'hrs_1' });
    const r = await startCli(['--once'], { DATABASE_URL: db.url, RACING_API_RATE_PER_SEC: 'fast' }).exited;
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      "error: RACING_API_RATE_PER_SEC must be a number above 0 and at most 100, not 'fast'",
    );
    const [j] = await db.sql`select count(*)::int as n from graphile_worker.jobs where attempts = 0`;
    expect(j?.n).toBe(1);
    await db.sql`select from graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))`;
  });

  test('an unmigrated database stops it with the remedy: one line, exit 1', async () => {
    const admin = connect(inject('adminUrl'), { max: 1 });
    const name = `racing_kit_bare_${process.pid}`;
    await admin.unsafe(`create database "${name}"`);
    try {
      const r = await startCli(['--once'], { DATABASE_URL: withDatabase(inject('adminUrl'), name) }).exited;
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(
        /^error: the database lacks \d+ of the kit's migrations: run `npm run migrate` first$/,
      );
    } finally {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
  });

  test('--once drains the queue (an invalid payload is recorded) and exits 0', async () => {
    await addJob(db.sql, 'fetch_results_day', { date: 'not-a-date' });
    const r = await startCli(['--once'], { DATABASE_URL: db.url }).exited;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/queue drained/);
    expect(r.stdout + r.stderr).not.toContain('postgres://');
    const [e] = await db.sql`select count(*)::int as n from job_errors`;
    expect(e?.n).toBe(1);
    const [j] = await db.sql`select count(*)::int as n from graphile_worker.jobs`;
    expect(j?.n).toBe(0);
  });

  test('SIGTERM stops a running worker cleanly: exit 0, its connections closed', async () => {
    const cli = startCli(['--concurrency', '2'], { DATABASE_URL: db.url });
    // Ready once it says so; then a job runs through it.
    while (!cli.output().includes('worker running')) await once(cli.child.stdout, 'data');
    // Racecards before 2023-01-23 plan no fetch at all: the job runs without any API.
    await addJob(db.sql, 'backfill_dates', {
      start_date: '2022-01-01',
      end_date: '2022-01-02',
      source: 'racecards',
    });
    while (!cli.output().includes('backfill 2022-01-01..2022-01-02')) await once(cli.child.stdout, 'data');
    expect(cli.output()).toMatch(/0 pairs, 0 queued/);
    cli.child.kill('SIGTERM');
    const r = await cli.exited;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/worker stopped/);
    const [c] = await db.sql`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
    expect(c?.n).toBe(0);
  });
});
