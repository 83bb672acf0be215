import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { distinctHorses } from '../../src/racing/estimate.ts';
import { useTestDatabase } from '../helpers/db.ts';

const exec = promisify(execFile);
const db = useTestDatabase();

async function dryRun(args: string[], env: Record<string, string> = {}) {
  const file = fileURLToPath(new URL('../../src/cli/backfill.ts', import.meta.url));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RACING_API_')));
  const { stdout } = await exec(process.execPath, [file, ...args, '--dry-run'], {
    env: { ...clean, DATABASE_URL: db.url, ...env },
  });
  return stdout;
}

const jobs = async () => (await db.sql`select count(*)::int as n from graphile_worker.jobs`)[0]?.n;

describe('npm run backfill -- --dry-run', () => {
  test('2015-2025: dates per source, calls by endpoint, hours, storage; queues nothing', async () => {
    const out = await dryRun(['--start-date', '2015-01-01', '--end-date', '2025-12-31']);
    expect(out).toMatch(/results +4,018 dates \(2015-01-01\.\.2025-12-31\), 0 done, 4,018 to fetch/);
    expect(out).toMatch(/racecards +1,074 dates \(2023-01-23\.\.2025-12-31\)/);
    // Horses that ran from 2023-01-23 come with the racecard: only those of the years before cost a call.
    const byCall = Math.round(distinctHorses(4018) - distinctHorses(1074));
    expect(byCall).toBeGreaterThan(60_000);
    expect(byCall).toBeLessThan(distinctHorses(4018) * 0.65);
    expect(out).toContain(`/v1/horses/{id}/pro  ${byCall.toLocaleString('en-GB')}`);
    expect(out).toMatch(/racing_api +results\+racecards\+horses [\d,]+ calls at 1\.96\/s = [\d.]+ h/);
    expect(out).toMatch(/raw responses [\d.]+ GB, rows [\d.]+ GB/);
    expect(out).toMatch(/dry run: nothing was queued\n$/);
    expect(await jobs()).toBe(0);
    const [state] = await db.sql`select count(*)::int as n from fetch_state`;
    expect(state?.n).toBe(0);
  });

  test('per-endpoint budgets get their own line; results only enriches every horse', async () => {
    const out = await dryRun(
      ['--start-date', '2016-01-01', '--end-date', '2016-12-31', '--source', 'results'],
      {
        RACING_API_RATE_PER_SEC: '5',
        RACING_API_RATE_PER_SEC_RACECARDS: '2',
      },
    );
    expect(out).toContain(`/v1/horses/{id}/pro  ${Math.round(distinctHorses(366)).toLocaleString('en-GB')}`);
    expect(out).toMatch(/racing_api:racecards +racecards +0 calls at 1\.96\/s/);
    expect(out).toMatch(/racing_api +results\+horses/);
    expect(await jobs()).toBe(0);
  });

  test('dates already done are skipped and their page count is what the database knows', async () => {
    await db.sql`
      insert into fetch_state (source, date, status, regions, pages)
      select 'results', d::date, 'done', array['gb','ire'], 2
      from generate_series(date '2020-01-01', date '2020-02-09', interval '1 day') d`;
    const out = await dryRun(['--start-date', '2020-01-01', '--end-date', '2020-03-31', '--no-enrich']);
    expect(out).toMatch(
      /results +91 dates \(2020-01-01\.\.2020-03-31\), 40 done, 51 to fetch at 2\.00 pages a date \(from this database \(40 dates\)\)/,
    );
    expect(out).toContain('/v1/results          102');
    expect(out).toContain('/v1/horses/{id}/pro  0');
    expect(await jobs()).toBe(0);
  });
});
