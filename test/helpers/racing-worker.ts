import { afterAll, beforeAll } from 'vitest';
import type { Sql } from '../../src/db.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.ts';

export const SIM_USER = 'kit-test';
export const SIM_PASSWORD = 'kit-test-secret';

/**
 * A simulator for this test file, with the RACING_API_* variables the tasks read pointing at it: fast rates
 * and short backoffs, so fault tests finish in well under a second per retry.
 */
export function useSimulator(options: SimulatorOptions = {}, env: Record<string, string> = {}) {
  let sim: Simulator | undefined;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    // The simulator's own limit sits far above the kit's (100/s): several databases (each with its own
    // limiter) may share one simulator in a test file. Tests of the limit itself pass their own ratePerSec.
    sim = await startSimulator({ ratePerSec: 1000, username: SIM_USER, password: SIM_PASSWORD, ...options });
    const vars: Record<string, string> = {
      RACING_API_BASE_URL: sim.url,
      RACING_API_USERNAME: SIM_USER,
      RACING_API_PASSWORD: SIM_PASSWORD,
      RACING_API_RATE_PER_SEC: '100',
      // A wide margin gives the limiter 50 ms of slack for a confirmation answered late; with the default 2% a
      // busy test machine can make it hand a job back (RateLimitBacklogError) and a drained queue keep a retry.
      // The limiter's own tests use the default.
      RACING_API_RATE_SAFETY_MARGIN: '0.2',
      // Generous: on a loaded machine a tight timeout turns slow answers into retries and breaks call counts.
      // Tests of the timeout itself lower it (see faults.test.ts).
      RACING_API_TIMEOUT_MS: '10000',
      RACING_API_MAX_ATTEMPTS: '3',
      RACING_API_RETRY_BASE_MS: '10',
      RACING_API_RETRY_MAX_DELAY_MS: '50',
      RACING_API_MAX_RETRY_AFTER_MS: '2000',
      ...env,
    };
    for (const [k, v] of Object.entries(vars)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await sim?.close();
  });
  return {
    get sim(): Simulator {
      if (!sim) throw new Error('simulator not started');
      return sim;
    },
  };
}

/** Queue one job through the SQL API, as a user would. */
export async function addJob(sql: Sql, task: string, payload: unknown, jobKey?: string): Promise<void> {
  await sql`select graphile_worker.add_job(${task}, (${JSON.stringify(payload)}::text)::json, job_key := ${jobKey ?? null})`;
}

/** Jobs still in the queue (waiting, retrying or permanently failed). */
export async function queuedJobs(sql: Sql) {
  return sql<{ task_identifier: string; key: string | null; attempts: number; last_error: string | null }[]>`
    select task_identifier, key, attempts, last_error from graphile_worker.jobs order by id`;
}
