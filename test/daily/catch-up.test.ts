import { EventEmitter } from 'node:events';
import type { WorkerEvents } from 'graphile-worker';
import { expect, test } from 'vitest';
import { parseSchedule } from '../../src/daily/schedule.ts';
import { addDays, ukToday } from '../../src/racing/dates.ts';
import { startWorker } from '../../src/worker.ts';
import { taskList } from '../../tasks/index.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { pollUntil } from '../helpers/poll.ts';
import { useSimulator } from '../helpers/racing-worker.ts';

// graphile-worker's own backfill, not a synthetic payload: its known_crontabs state says the daily line last
// ran two days ago, so a worker started now must schedule the two runs it missed, each with its own
// _cron.ts, and each run must fetch the day before its own scheduled time.

const db = useTestDatabase();
const env = useSimulator({ racesPerDayScale: 0.05 });
const HOUR = 3_600_000;

test('a worker without a schedule does not pick up the crontab file in its working directory', async () => {
  const runner = await startWorker({ connectionString: db.url, noHandleSignals: true });
  await runner.stop();
  await runner.promise;
  const known = await db.sql`select identifier from graphile_worker._private_known_crontabs`;
  expect(known).toEqual([]);
});

test('a worker started after two missed days fetches both', async () => {
  const now = new Date();
  env.sim.setToday(ukToday(now));
  // The line fires daily an hour before now (UTC, as graphile-worker's cron reads it).
  const lastFire = new Date(now.getTime() - HOUR);
  lastFire.setUTCSeconds(0, 0);
  const missed = [new Date(lastFire.getTime() - 24 * HOUR), lastFire];
  const ranBefore = new Date(lastFire.getTime() - 48 * HOUR);
  const crontab = `${lastFire.getUTCMinutes()} ${lastFire.getUTCHours()} * * * daily_results ?fill=3d {days: 1, enrich: false}`;
  await db.sql`
    insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution)
    values ('daily_results', ${new Date(now.getTime() - 240 * HOUR)}, ${ranBefore})`;

  // The _cron stamps of the daily_results jobs that ran.
  const ran: unknown[] = [];
  const events: WorkerEvents = new EventEmitter();
  events.on('job:start', ({ job }) => {
    if (job.task_identifier === 'daily_results') ran.push((job.payload as { _cron?: unknown })._cron);
  });
  const runner = await startWorker({
    connectionString: db.url,
    concurrency: 2,
    noHandleSignals: true,
    events,
    schedule: parseSchedule(crontab, Object.keys(taskList)),
  });
  const expected = missed.map((ts) => addDays(ukToday(ts), -1));
  try {
    await pollUntil(
      async () => {
        const [row] = await db.sql`
          select (select count(*) from fetch_state where source = 'results' and status = 'done')::int as done,
                 (select count(*) from graphile_worker.jobs)::int as jobs`;
        return row?.done === expected.length && row?.jobs === 0;
      },
      { what: 'both missed dates fetched' },
    );
  } finally {
    await runner.stop();
    await runner.promise;
  }
  expect(ran).toEqual(missed.map((d) => ({ ts: d.toISOString(), backfilled: true })));
  const states = await db.sql`
    select date::text, status from fetch_state where source = 'results' order by date`;
  expect(states).toEqual(expected.map((date) => ({ date, status: 'done' })));
  const [known] = await db.sql<{ last: Date }[]>`
    select last_execution as last from graphile_worker._private_known_crontabs where identifier = 'daily_results'`;
  expect(known?.last.toISOString()).toBe(lastFire.toISOString());
});
