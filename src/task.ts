// The one shape of every task in tasks/: parse the payload with zod, then run one library call with the
// process-wide postgres.js client of the job's database (src/task-db.ts). A payload that fails its schema
// or a domain rule is recorded in job_errors (recordJobError) and the job ends successfully: retrying
// cannot fix a payload, so there is no retry storm and no API call.

import type { JobHelpers, Task } from 'graphile-worker';
import type { z } from 'zod';
import { AccountStoppedError, WAITS_FOR_ACCOUNT_FLAG } from './accounts.ts';
import { loadRacingApiConfig } from './config.ts';
import type { Sql } from './db.ts';
import { describeIssues } from './describe-issues.ts';
import { recordJobError } from './job-errors.ts';
import { createRacingApiClient, type RacingApiClient } from './racing-api/client.ts';
import { taskSql } from './task-db.ts';

export interface TaskContext {
  sql: Sql;
  helpers: JobHelpers;
  /**
   * An API client whose requests are audited under this job and aborted on worker shutdown. Built (and its
   * config read) on the first request, so a job that needs no call never touches the API settings.
   */
  racingApi(): RacingApiClient;
}

export interface TaskDefinition<S extends z.ZodType> {
  schema: S;
  /** A domain rule the schema cannot know (it depends on today): why this payload is refused, or undefined. */
  refuse?: (payload: z.output<S>) => string | undefined;
  run: (payload: z.output<S>, ctx: TaskContext) => Promise<void>;
}

export function defineTask<S extends z.ZodType>(identifier: string, definition: TaskDefinition<S>): Task {
  return async (payload, helpers) => {
    const sql = taskSql();
    const parsed = definition.schema.safeParse(payload);
    const problem = parsed.success ? definition.refuse?.(parsed.data) : describeIssues(parsed.error);
    if (problem !== undefined || !parsed.success) {
      const error = `invalid payload: ${problem}`;
      helpers.logger.error(`${identifier} job ${helpers.job.id}: ${error}`);
      await recordJobError(sql, {
        task: identifier,
        jobId: helpers.job.id,
        jobKey: helpers.job.key,
        payload,
        kind: 'invalid_payload',
        error,
      });
      return;
    }
    let client: RacingApiClient | undefined;
    const get = () => {
      client ??= createRacingApiClient({
        config: loadRacingApiConfig(),
        sql,
        jobId: helpers.job.id,
        signal: helpers.abortSignal,
      });
      return client;
    };
    const lazy: RacingApiClient = {
      resultsPage: (q) => get().resultsPage(q),
      racecardsPage: (q) => get().racecardsPage(q),
      horsePro: (horseId) => get().horsePro(horseId),
      courses: (regions) => get().courses(regions),
      regions: () => get().regions(),
    };
    try {
      await definition.run(parsed.data, { sql, helpers, racingApi: () => lazy });
    } catch (error) {
      if (!(error instanceof AccountStoppedError)) throw error;
      await waitForAccount(identifier, payload, helpers, error);
    }
  };
}

/**
 * Every account is stopped (src/accounts.ts): the job puts itself back, unchanged and with its job key, for
 * later, and ends successfully, so it uses no attempt and no date is failed. add_job with the key of a
 * running job clears the key on the running one and queues a fresh job: idempotent per key.
 */
async function waitForAccount(
  identifier: string,
  payload: unknown,
  helpers: JobHelpers,
  error: AccountStoppedError,
): Promise<void> {
  const { job } = helpers;
  await helpers.addJob(identifier, payload as never, {
    runAt: new Date(Date.now() + error.retryAfterMs),
    maxAttempts: job.max_attempts,
    priority: job.priority,
    flags: [WAITS_FOR_ACCOUNT_FLAG],
    ...(job.key ? { jobKey: job.key, jobKeyMode: 'replace' as const } : {}),
  });
  const now = Date.now();
  if (now - lastAccountLog >= ACCOUNT_LOG_EVERY_MS) {
    lastAccountLog = now;
    helpers.logger.error(`${error.message}; jobs that call the API wait (logged at most once a minute)`);
  }
}
let lastAccountLog = Number.NEGATIVE_INFINITY;
const ACCOUNT_LOG_EVERY_MS = 60_000;
