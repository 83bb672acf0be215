import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, useTestDatabase } from '../helpers/db.ts';
import { useSimulator } from '../helpers/racing-worker.ts';
import {
  contentChecksums,
  doneButNotWritten,
  supervisedRunWithFault,
  TEST_APPLICATION,
  testConnection,
  uninterruptedRun,
} from './supervised-run.ts';

const faulted = useTestDatabase();
useSimulator(
  { ratePerSec: 0, racesPerDayScale: 0.3, today: '2024-06-10' },
  { RACING_API_RATE_PER_SEC: '100' },
);
let reference: Awaited<ReturnType<typeof createTestDatabase>>;
let expected: Promise<Record<string, string>>;

beforeAll(async () => {
  reference = await createTestDatabase();
  expected = uninterruptedRun(reference.url, reference.sql);
  expected.catch(() => {});
});
afterAll(async () => {
  await reference?.drop();
});

describe('PostgreSQL goes away and comes back', () => {
  test('every connection terminated mid-run: the runs complete, tables equal an uninterrupted run', async () => {
    // The reference first: both at once would only make the machine busier.
    const want = await expected;
    const sql = testConnection(faulted.url);
    try {
      let killed = 0;
      const outcome = await supervisedRunWithFault(faulted.url, sql, async () => {
        const [row] = await sql<{ n: number }[]>`
          select count(*)::int as n from (
            select pg_terminate_backend(pid) from pg_stat_activity
            where datname = current_database() and application_name <> ${TEST_APPLICATION}) t`;
        killed = row!.n;
      });
      // Both workers' pools, their LISTEN connections and the tasks' clients.
      expect(killed).toBeGreaterThanOrEqual(4);
      expect(outcome.midRun, outcome.log.slice(-20).join('\n')).toBe(true);
      // A worker that gave up must say so: Restart=on-failure restarts only a non-zero exit.
      expect(outcome.exits).not.toContain(0);
      expect(await doneButNotWritten(sql)).toEqual([]);
      expect(want.ra_mst_runners).not.toMatch(/^0 rows/);
      expect(await contentChecksums(sql)).toEqual(want);
    } finally {
      await sql.end();
    }
  }, 600_000);
});
