import { EventEmitter, once } from 'node:events';
import { run, type WorkerEvents } from 'graphile-worker';
import { expect, test } from 'vitest';
import { drainQueue } from '../src/worker.ts';
import { quietWorkerLogger } from '../src/worker-logger.ts';
import { useTestDatabase } from './helpers/db.ts';
import { addJob, queuedJobs, useSimulator } from './helpers/racing-worker.ts';

const db = useTestDatabase();
useSimulator();

const drain = () => drainQueue({ connectionString: db.url, concurrency: 4, noHandleSignals: true });

test('drainQueue runs the jobs a planning job queued on all of its workers at once', async () => {
  await addJob(db.sql, 'backfill_dates', {
    start_date: '2024-06-01',
    end_date: '2024-06-08',
    source: 'results',
    enrich: false,
  });
  // Every fetch job stops at its first write until four jobs are running together, which graphile-worker's
  // runOnce never reached (a worker that finds the queue empty exits, leaving one for the eight fetch jobs):
  // with it this test waits for ever and times out.
  const gate = await db.sql.reserve();
  await gate`begin`;
  await gate`lock table raw_responses in exclusive mode`;
  const events: WorkerEvents = new EventEmitter();
  let running = 0;
  const fourRunning = new Promise<void>((resolve) => {
    events.on('job:start', () => {
      if (++running === 4) resolve();
    });
  });
  events.on('job:complete', () => {
    running--;
  });
  const drained = drainQueue({ connectionString: db.url, concurrency: 4, noHandleSignals: true, events });
  try {
    await Promise.race([fourRunning, drained]);
  } finally {
    await gate`commit`;
    gate.release();
  }
  await drained;
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
  // Another process's worker runs a task of its own in the queue 'held' until released.
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const otherEvents: WorkerEvents = new EventEmitter();
  const holding = once(otherEvents, 'job:start');
  const other = await run({
    connectionString: db.url,
    concurrency: 1,
    noHandleSignals: true,
    logger: quietWorkerLogger,
    taskList: { hold_queue: () => released },
    events: otherEvents,
  });
  try {
    await db.sql`select graphile_worker.add_job('hold_queue', '{}'::json, queue_name := 'held')`;
    await holding;
    await db.sql`select graphile_worker.add_job('backfill_dates', '{}'::json, queue_name := 'held')`;
    await drain();
    const held = await db.sql`
      select task_identifier, attempts from graphile_worker.jobs where queue_name = 'held' order by id`;
    expect(held).toEqual([
      { task_identifier: 'hold_queue', attempts: 1 },
      { task_identifier: 'backfill_dates', attempts: 0 },
    ]);
  } finally {
    release();
    await other.stop();
  }
});

test('drainQueue fails when the runner dies under it (here: a job completion the database refuses)', async () => {
  await db.sql`select from graphile_worker.complete_jobs(array(select id from graphile_worker.jobs))`;
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

test('the enrichment lane takes only enrich_horse; a lane-only worker drains beside one that runs the rest', async () => {
  await addJob(db.sql, 'fetch_results_day', { date: '2016-04-05', enrich: false });
  await db.sql`select graphile_worker.add_job('enrich_horse', '{"horse_id": "hrs_990000002"}')`;
  const laneRan: string[] = [];
  const mainRan: string[] = [];
  const laneEvents: WorkerEvents = new EventEmitter();
  const mainEvents: WorkerEvents = new EventEmitter();
  laneEvents.on('job:start', ({ job }) => laneRan.push(job.task_identifier));
  mainEvents.on('job:start', ({ job }) => mainRan.push(job.task_identifier));
  // The lane-only worker starts first and would take the day job if it could; it drains when the other has.
  const lane = drainQueue({
    connectionString: db.url,
    concurrency: 0,
    enrichConcurrency: 2,
    noHandleSignals: true,
    events: laneEvents,
  });
  await once(laneEvents, 'job:complete');
  await drainQueue({
    connectionString: db.url,
    concurrency: 1,
    noHandleSignals: true,
    events: mainEvents,
  });
  await lane;
  expect(laneRan).toEqual(['enrich_horse']);
  expect(mainRan).toContain('fetch_results_day');
  expect(mainRan).not.toContain('enrich_horse');
  expect(await queuedJobs(db.sql)).toEqual([]);
});
