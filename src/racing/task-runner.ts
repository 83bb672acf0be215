// The shared shape of the Racing API tasks: parse the payload with zod (an invalid payload is recorded in
// job_errors and the job ends successfully: no API call, no retry storm), then run library code with the
// process-wide postgres.js client and an API client bound to this job.

import type { JobHelpers, Task } from 'graphile-worker';
import type { z } from 'zod';
import { loadRacingApiConfig } from '../config.ts';
import type { Sql } from '../db.ts';
import { createRacingApiClient, type RacingApiClient } from '../racing-api/client.ts';
import { recordJobError } from './job-errors.ts';
import { describeIssues } from './payloads.ts';
import { taskSql } from './task-db.ts';

export interface RacingTaskContext {
  sql: Sql;
  helpers: JobHelpers;
  /**
   * An API client whose requests are audited under this job and aborted on worker shutdown. Built (and its
   * config read) on the first request, so a job that needs no call never touches the API settings.
   */
  client(): RacingApiClient;
  /** Record a terminal problem of this job in job_errors (the job then returns normally). */
  reject(error: string): Promise<void>;
}

export function racingTask<S extends z.ZodType>(
  identifier: string,
  schema: S,
  run: (payload: z.output<S>, ctx: RacingTaskContext) => Promise<void>,
): Task {
  return async (payload, helpers) => {
    const sql = taskSql();
    const reject = async (error: string) => {
      helpers.logger.error(`${identifier} job ${helpers.job.id}: ${error}`);
      await recordJobError(sql, {
        task: identifier,
        jobId: helpers.job.id,
        jobKey: helpers.job.key,
        payload,
        kind: 'invalid_payload',
        error,
      });
    };
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return reject(`invalid payload: ${describeIssues(parsed.error)}`);
    let real: RacingApiClient | undefined;
    const get = () => {
      real ??= createRacingApiClient({
        config: loadRacingApiConfig(),
        sql,
        jobId: helpers.job.id,
        signal: helpers.abortSignal,
      });
      return real;
    };
    const lazy: RacingApiClient = {
      resultsPage: (q) => get().resultsPage(q),
      racecardsPage: (q) => get().racecardsPage(q),
      horsePro: (horseId) => get().horsePro(horseId),
      courses: (regions) => get().courses(regions),
    };
    await run(parsed.data, { sql, helpers, reject, client: () => lazy });
  };
}
