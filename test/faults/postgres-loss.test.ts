// PostgreSQL goes away under `npm run worker` (src/worker-process.ts). Idle, the worker reconnects and keeps
// running. Under a racing backfill (two worker processes, the simulator as the API) with a ladder backfill
// beside it, every connection to the database is terminated, then, on a private server, the server is
// restarted: the workers hit under a job free their jobs and exit 1, the test starts them again as a
// supervisor would, the runs complete, the tables equal an uninterrupted run and nothing is done unwritten.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type Sql } from '../../src/db.ts';
import { startEmbeddedPostgres } from '../../src/demo/embedded-postgres.ts';
import { migrateDatabase } from '../../src/migrate.ts';
import { createTestDatabase, useTestDatabase } from '../helpers/db.ts';
import { pollUntil } from '../helpers/poll.ts';
import { addJob, queuedJobs, useSimulator } from '../helpers/racing-worker.ts';
import {
  contentChecksums,
  doneButNotWritten,
  errorLines,
  spawnWorker,
  stopWorker,
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

/** Terminates every connection to this database but the test's own; returns their application names. */
async function terminateAll(sql: Sql): Promise<string[]> {
  // The function in the select list of a materialized set: a WHERE could run it before the database filter,
  // on every connection of the server.
  const rows = await sql<{ application_name: string; terminated: boolean }[]>`
    with targets as materialized (
      select pid, application_name from pg_stat_activity
      where datname = current_database() and application_name <> ${TEST_APPLICATION}
    )
    select application_name, pg_terminate_backend(pid) as terminated from targets`;
  return rows.filter((r) => r.terminated).map((r) => r.application_name);
}

describe('PostgreSQL goes away and comes back', () => {
  test('every connection terminated while the worker is idle: it reconnects and runs the next job', async () => {
    const db = await createTestDatabase();
    const sql = testConnection(db.url);
    const log: string[] = [];
    const worker = spawnWorker(db.url, log);
    try {
      const jobDone = async (what: string) => {
        await addJob(sql, 'prune_api_requests', {});
        await pollUntil(
          async () => {
            if (worker.exitCode !== null)
              throw new Error(`the worker exited: ${errorLines(log).join(' | ')}`);
            return (await queuedJobs(sql)).length === 0;
          },
          { what },
        );
      };
      // A first job opens the tasks' postgres.js client beside graphile-worker's pool and LISTEN connection.
      await jobDone('a first job');
      const killed = await terminateAll(sql);
      expect(killed).toContain('postgres.js');
      expect(killed.filter((name) => name !== 'postgres.js').length).toBeGreaterThanOrEqual(2);
      await jobDone('a job after the connections were terminated');
      expect(worker.exitCode).toBeNull();
      await stopWorker(worker);
      expect(worker.exitCode).toBe(0);
      expect(log).toContain('worker stopped');
    } finally {
      await stopWorker(worker).catch(() => {});
      await sql.end();
      await db.drop();
    }
  });

  test('every connection terminated mid-run: the runs complete, tables equal an uninterrupted run', async () => {
    // The reference first: both at once would only make the machine busier.
    const want = await expected;
    const sql = testConnection(faulted.url);
    try {
      let killed: string[] = [];
      const outcome = await supervisedRunWithFault(faulted.url, sql, async () => {
        killed = await terminateAll(sql);
      });
      // Both workers' pools, their LISTEN connections and the tasks' clients.
      expect(killed.length).toBeGreaterThanOrEqual(4);
      expect(killed).toContain('postgres.js');
      expect(outcome.midRun, errorLines(outcome.log).join('\n')).toBe(true);
      // A worker that gave up must say so: Restart=on-failure restarts only a non-zero exit.
      expect(outcome.exits).not.toContain(0);
      expect(outcome.seenUnwritten).toEqual([]);
      expect(await doneButNotWritten(sql)).toEqual([]);
      expect(want.ra_mst_runners).not.toMatch(/^0 rows/);
      expect(await contentChecksums(sql)).toEqual(want);
    } finally {
      await sql.end();
    }
  }, 600_000);

  test('the server restarted mid-run (a private server, pg_ctl restart -m fast): the same outcome', async () => {
    const want = await expected;
    // Never the machine's shared server: a private one on a free port (the demo's embedded PostgreSQL; as
    // root it runs as the postgres user), its cluster in a folder of its own, removed afterwards.
    const checkout = await mkdtemp(join(tmpdir(), 'kit-pg-restart-'));
    const server = await startEmbeddedPostgres({ checkout });
    try {
      const admin = connect(server.adminUrl, { max: 1 });
      await admin.unsafe('drop database if exists faults').finally(() => {});
      await admin.unsafe('create database faults');
      await admin.end();
      const url = server.adminUrl.replace(/\/postgres$/, '/faults');
      await migrateDatabase(url);
      const sql = testConnection(url);
      try {
        let restarted = false;
        const outcome = await supervisedRunWithFault(url, sql, async () => {
          await server.restart();
          restarted = true;
        });
        expect(restarted).toBe(true);
        expect(outcome.midRun, errorLines(outcome.log).join('\n')).toBe(true);
        expect(outcome.exits).not.toContain(0);
        expect(outcome.seenUnwritten).toEqual([]);
        expect(await doneButNotWritten(sql)).toEqual([]);
        expect(await contentChecksums(sql)).toEqual(want);
      } finally {
        await sql.end();
      }
    } finally {
      await server.stop().catch(() => {});
      await rm(server.instanceDir, { recursive: true, force: true });
      await rm(checkout, { recursive: true, force: true });
    }
  }, 600_000);
});
