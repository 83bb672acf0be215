import { EventEmitter } from 'node:events';
import type { WorkerEvents } from 'graphile-worker';
import { expect, test } from 'vitest';
import { drainQueue } from '../src/worker.ts';
import { useTestDatabase } from './helpers/db.ts';
import { addJob, queuedJobs, useSimulator } from './helpers/racing-worker.ts';

const db = useTestDatabase();
// A slow account (10 requests/s): each fetch job holds its lock while it waits for its rate-limit slot.
useSimulator({}, { RACING_API_RATE_PER_SEC: '10' });

const drain = () => drainQueue({ connectionString: db.url, concurrency: 4, noHandleSignals: true });

test('drainQueue runs the jobs a planning job queued on all of its workers at once', async () => {
  await addJob(db.sql, 'backfill_dates', {
    start_date: '2024-06-01',
    end_date: '2024-06-08',
    source: 'results',
    enrich: false,
  });
  // How many jobs ran at the same moment, from the runner's own events.
  const events: WorkerEvents = new EventEmitter();
  let running = 0;
  let most = 0;
  events.on('job:start', () => {
    running++;
    most = Math.max(most, running);
  });
  events.on('job:complete', () => {
    running--;
  });
  const drained = drainQueue({ connectionString: db.url, concurrency: 4, noHandleSignals: true, events });
  await drained;
  // graphile-worker's runOnce left one worker for all eight fetch jobs (the others exit on an empty queue).
  expect(most).toBe(4);
  expect(await queuedJobs(db.sql)).toEqual([]);
  const [state] = await db.sql<{ done: number }[]>`
    select count(*) filter (where status = 'done')::int as done from fetch_state`;
  expect(state?.done).toBe(8);
});

test('drainQueue returns when nothing is due, leaving a job scheduled for later', async () => {
  await db.sql`select graphile_worker.add_job('backfill_dates', '{}'::json, run_at := now() + interval '1 hour')`;
  await drain();
  expect((await queuedJobs(db.sql)).map((j) => [j.task_identifier, j.attempts])).toEqual([
    ['backfill_dates', 0],
  ]);
});

test('drainQueue returns when the only job left is in a named queue another worker holds', async () => {
  await db.sql`select graphile_worker.add_job('backfill_dates', '{}'::json, queue_name := 'held')`;
  await db.sql`
    update graphile_worker._private_job_queues set locked_at = now(), locked_by = 'another-worker'
    where queue_name = 'held'`;
  await drain();
  const held = await db.sql`select queue_name, attempts from graphile_worker.jobs where queue_name = 'held'`;
  expect(held).toEqual([{ queue_name: 'held', attempts: 0 }]);
});

test('drainQueue fails when the runner dies under it (here: a job completion the database refuses)', async () => {
  await db.sql`delete from graphile_worker._private_jobs`;
  await db.sql.unsafe(`
    create function refuse_job_delete() returns trigger language plpgsql as $$
    begin raise exception 'job rows are kept in this test'; end $$;
    create trigger refuse_job_delete before delete on graphile_worker._private_jobs
      for each row execute function refuse_job_delete()`);
  try {
    // An invalid payload: the task records why and succeeds, so its completion deletes the job row.
    await db.sql`select graphile_worker.add_job('backfill_dates', '{}'::json)`;
    await expect(drain()).rejects.toThrow();
  } finally {
    await db.sql.unsafe(`
      drop trigger refuse_job_delete on graphile_worker._private_jobs;
      drop function refuse_job_delete()`);
  }
});
