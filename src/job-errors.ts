import type { Db } from './db.ts';

export type JobErrorKind = 'invalid_payload' | 'api_error' | 'invalid_response';

export interface JobErrorRecord {
  task: string;
  jobId?: string | null;
  jobKey?: string | null;
  payload: unknown;
  kind: JobErrorKind;
  error: string;
}

/** A terminal error the user can see (job_errors); the job then ends successfully, so it is not retried. */
export async function recordJobError(db: Db, e: JobErrorRecord): Promise<void> {
  let payload: string | null;
  try {
    payload = JSON.stringify(e.payload ?? null);
  } catch {
    payload = null;
  }
  await db`
    insert into job_errors (task_identifier, job_id, job_key, payload, kind, error)
    values (${e.task}, ${e.jobId ?? null}, ${e.jobKey ?? null}, (${payload}::text)::jsonb, ${e.kind}, ${e.error})`;
}
