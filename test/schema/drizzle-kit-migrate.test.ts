import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, inject, test } from 'vitest';
import { connect } from '../../src/db.ts';
import { withDatabase } from '../global-setup.ts';
import { addJob, useSimulator } from '../helpers/racing-worker.ts';

// The path for people who use the tools directly (README "Migrations"): drizzle-kit's own migrate, then
// graphile-worker's own schema install, then queue a job and run the worker.
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
useSimulator();

describe('npx drizzle-kit migrate, then npx graphile-worker --schema-only', () => {
  test('without DATABASE_URL drizzle-kit migrate stops with one line, exit 1', async () => {
    const failure = await run(process.execPath, ['node_modules/drizzle-kit/bin.cjs', 'migrate'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: undefined },
    }).catch((e: { code: number; stderr: string }) => e);
    expect((failure as { code: number }).code).toBe(1);
    expect((failure as { stderr: string }).stderr.trim()).toMatch(/^error: DATABASE_URL is not set \(/);
  }, 300_000);

  test('on an empty database: add_job(backfill_dates) and npm run worker -- --once load the dates', async () => {
    const admin = connect(inject('adminUrl'), { max: 1 });
    const name = `racing_kit_dk_${process.pid}`;
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.unsafe(`create database "${name}"`);
    const url = withDatabase(inject('adminUrl'), name);
    const env = { ...process.env, DATABASE_URL: url };
    const sql = connect(url, { max: 1 });
    try {
      await run(process.execPath, ['node_modules/drizzle-kit/bin.cjs', 'migrate'], { cwd: ROOT, env });
      await run(process.execPath, ['node_modules/graphile-worker/dist/cli.js', '--schema-only', '-c', url], {
        cwd: ROOT,
        env,
      });
      // The same functions as npm run migrate installs, so the derivation is there.
      const [fn] = await sql`select count(*)::int as n from pg_proc where proname = 'derive_ladder_back_l1'`;
      expect(fn?.n).toBe(1);
      await addJob(sql, 'backfill_dates', {
        start_date: '2024-01-01',
        end_date: '2024-01-02',
        regions: ['gb'],
        enrich: false,
      });
      const worker = await run(process.execPath, ['src/cli/worker.ts', '--once'], { cwd: ROOT, env });
      expect(worker.stdout).toMatch(/queue drained/);
      const done = await sql`
        select source, date::text from fetch_state where status = 'done' order by source, date`;
      expect(done.filter((d) => d.source === 'results').map((d) => d.date)).toEqual([
        '2024-01-01',
        '2024-01-02',
      ]);
      const [races] = await sql`select count(*)::int as n from ra_mst_races`;
      expect(races?.n).toBeGreaterThan(0);
    } finally {
      await sql.end();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
  }, 400_000);
});
