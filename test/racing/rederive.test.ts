import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import type { Sql } from '../../src/db.ts';
import { rederiveDay } from '../../src/racing/rederive.ts';
import { drainQueue } from '../../src/worker.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { racingChecksums } from '../helpers/racing-tables.ts';
import { addJob, queuedJobs, useSimulator } from '../helpers/racing-worker.ts';

const db = useTestDatabase();
// Small days (about 7 races) keep the enrichment of every runner quick.
const env = useSimulator({ racesPerDayScale: 0.2 });
const drain = () => drainQueue({ connectionString: db.url, concurrency: 2, noHandleSignals: true });

// 2016: results only, every horse enriched by call; 2024: results and racecards.
const RANGES = [
  { start_date: '2016-03-01', end_date: '2016-03-01' },
  { start_date: '2024-03-01', end_date: '2024-03-01' },
];

// Table -> its natural key (the order of comparison).
const ROW_TABLES: Record<string, string> = {
  ra_courses: 'id',
  ra_jockeys: 'id',
  ra_trainers: 'id',
  ra_owners: 'id',
  ra_bookmakers: 'name',
  ra_horses: 'id',
  ra_horse_pedigree: 'horse_id',
  ra_mst_races: 'id',
  ra_mst_runners: 'race_id, horse_id',
};

/**
 * Every row of the derived tables, without the write-time stamps (a re-derive writes at another time) and
 * the runners' surrogate id (a sequence: it numbers rows in the order jobs happened to insert them).
 */
async function derivedRows(sql: Sql): Promise<Record<string, { n: number; md5: string }>> {
  const out: Record<string, { n: number; md5: string }> = {};
  for (const [table, order] of Object.entries(ROW_TABLES)) {
    const [row] = await sql.unsafe<{ n: number; md5: string }[]>(
      `select count(*)::int as n,
              md5(coalesce(string_agg((to_jsonb(t) - 'created_at' - 'updated_at' - 'enriched_at' - 'result_fetched_at'
                                      - 'racecard_fetched_at'
                                      - case when '${table}' = 'ra_mst_runners' then 'id' else '' end)::text, E'\\n' order by ${order}), '')) as md5
       from ${table} t`,
    );
    out[table] = row ?? { n: 0, md5: '' };
  }
  return out;
}

async function truncateRows(sql: Sql): Promise<void> {
  await sql.unsafe(`truncate ${Object.keys(ROW_TABLES).join(', ')} cascade`);
}

describe('rederive from raw_responses', () => {
  // A fetch with enrichment and a worker drain, twice: longer than the default timeout on a loaded machine.
  test('rebuilds the tables of a fetch exactly, with zero API calls', { timeout: 180_000 }, async () => {
    for (const range of RANGES) await addJob(db.sql, 'backfill_dates', { ...range, enrich: true });
    await drain();
    expect(await queuedJobs(db.sql)).toEqual([]);
    const stats = env.sim.stats();
    expect(stats.byEndpoint.racecards).toBeGreaterThan(0);
    expect(stats.byEndpoint.horses).toBeGreaterThan(0);
    const fetched = await derivedRows(db.sql);
    expect(fetched.ra_mst_runners?.n).toBeGreaterThan(50);
    expect(fetched.ra_horse_pedigree?.n).toBeGreaterThan(25);

    await truncateRows(db.sql);
    expect((await derivedRows(db.sql)).ra_mst_runners?.n).toBe(0);
    env.sim.resetStats();
    await addJob(db.sql, 'rederive', {});
    await drain();
    expect(await queuedJobs(db.sql)).toEqual([]);
    expect(env.sim.stats().total).toBe(0);
    expect(await derivedRows(db.sql)).toEqual(fetched);
    const [calls] = await db.sql`select count(*)::int as n from api_requests`;
    expect(calls?.n).toBe(stats.total);
  });

  test('is idempotent: a second re-derive changes no row at all (stamps included)', async () => {
    const before = await racingChecksums(db.sql);
    await addJob(db.sql, 'rederive', {});
    await drain();
    expect(await racingChecksums(db.sql)).toEqual(before);
    expect(env.sim.stats().total).toBe(0);
  });

  test('npm run rederive queues one job per stored date of the source and range, and horses by chunk', {
    timeout: 180_000,
  }, async () => {
    const file = fileURLToPath(new URL('../../src/cli/rederive.ts', import.meta.url));
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [file, ...args], {
        env: { ...process.env, DATABASE_URL: db.url },
      });
    const r = await run(['--source', 'results', '--start-date', '2016-03-01', '--end-date', '2016-03-31']);
    expect(r.stdout).toMatch(/^queued rederive: 1 results dates, 0 racecards dates, 0 horses in 0 jobs/);
    const jobs = await db.sql`select task_identifier, key from graphile_worker.jobs order by key`;
    expect(jobs).toEqual([{ task_identifier: 'rederive_day', key: 'rederive:results:2016-03-01' }]);
    const all = await run([]);
    expect(all.stdout).toMatch(/2 results dates, 1 racecards dates, \d+ horses in 1 jobs/);
    await drain();
    await expect(run(['--source', 'odds'])).rejects.toThrow(/Allowed choices are results, racecards, horses/);
  });

  test('a stored page that no longer passes the schema fails its date and writes nothing', async () => {
    const date = '2024-03-01';
    await db.sql`update raw_responses set body = '{"racecards": 7}' where endpoint = 'racecards' and date = ${date}`;
    const before = await racingChecksums(db.sql);
    const o = await rederiveDay(db.sql, 'racecards', date);
    expect(o).toMatchObject({ status: 'failed', pages: 0 });
    expect(o.error).toMatch(/stored page skip 0/);
    expect(await racingChecksums(db.sql)).toEqual(before);
    // Through the task, the reason is recorded beside the job.
    await addJob(db.sql, 'rederive_day', { source: 'racecards', date });
    await drain();
    const errors = await db.sql`select task_identifier, kind, error from job_errors`;
    expect(errors).toEqual([
      {
        task_identifier: 'rederive_day',
        kind: 'invalid_response',
        error: expect.stringMatching(/stored page skip 0/),
      },
    ]);
    expect(await racingChecksums(db.sql)).toEqual(before);
  });
});
