import { describe, expect, test } from 'vitest';
import { CRONTAB_PATH, parseSchedule, readSchedule } from '../../src/daily/schedule.ts';
import { addDays } from '../../src/racing/dates.ts';
import { drainQueue } from '../../src/worker.ts';
import { taskList } from '../../tasks/index.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { addJob, queuedJobs, useSimulator } from '../helpers/racing-worker.ts';

const db = useTestDatabase();
// About two races a day: the schedule covers 11 dates and enriches every runner.
const env = useSimulator({ racesPerDayScale: 0.05, today: '2025-06-11' });
const drain = () => drainQueue({ connectionString: db.url, concurrency: 4, noHandleSignals: true });
const TASKS = Object.keys(taskList);

// The scheduled time every job below carries, as graphile-worker's cron sets it: 07:30 in the UK on 2025-06-11,
// a year and more before the machine's clock, so a date taken from the wall clock would show.
const TODAY = '2025-06-11';
const CRON = { ts: '2025-06-11T06:30:00.000Z', backfilled: false };

const schedule = readSchedule(CRONTAB_PATH, TASKS);
const line = (task: string) => {
  const item = schedule.find((i) => i.task === task);
  if (!item) throw new Error(`the shipped crontab has no ${task} line`);
  return item;
};
/** The shipped line's payload plus the _cron stamp graphile-worker adds. */
const scheduled = (task: string, extra: Record<string, unknown> = {}) => ({
  ...(line(task).payload as Record<string, unknown>),
  ...extra,
  _cron: CRON,
});

async function states(source: string) {
  return db.sql<{ date: string; status: string }[]>`
    select date::text, status from fetch_state where source = ${source} order by date`;
}

describe('the shipped crontab', () => {
  test('parses with graphile-worker, names only kit tasks, and catches up on missed runs', () => {
    expect(schedule.map((i) => i.task).sort()).toEqual([
      'daily_racecards',
      'daily_results',
      'enrich_new_horses',
      'load_courses',
      'prune_api_requests',
    ]);
    for (const item of schedule) expect(item.options.backfillPeriod).toBeGreaterThan(0);
    expect(line('daily_results').payload).toEqual({ days: 3 });
    expect(() => parseSchedule('0 4 * * * daily_resluts', TASKS)).toThrow(/unknown task 'daily_resluts'/);
    expect(() => parseSchedule('0 25 * * * daily_results', TASKS)).toThrow();
  });
});

describe('every scheduled task runs', () => {
  test('daily_results fetches the 3 dates ending the day before its scheduled time', async () => {
    await addJob(db.sql, 'daily_results', scheduled('daily_results', { enrich: false }));
    await drain();
    expect(await states('results')).toEqual(
      [3, 2, 1].map((n) => ({ date: addDays(TODAY, -n), status: 'done' })),
    );
    expect(await queuedJobs(db.sql)).toEqual([]);
  });

  test('daily_racecards fetches today to today + 7', async () => {
    await addJob(db.sql, 'daily_racecards', scheduled('daily_racecards', { enrich: false }));
    await drain();
    expect(await states('racecards')).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((n) => ({ date: addDays(TODAY, n), status: 'done' })),
    );
  });

  test('enrich_new_horses enriches every horse the fetches left untried', async () => {
    const [before] = await db.sql`select count(*)::int as n from ra_horses where enrichment_status is null`;
    expect(before?.n).toBeGreaterThan(20);
    env.sim.resetStats();
    await addJob(db.sql, 'enrich_new_horses', scheduled('enrich_new_horses'));
    await drain();
    const [after] = await db.sql`select count(*)::int as n from ra_horses where enrichment_status is null`;
    expect(after?.n).toBe(0);
    expect(env.sim.stats().byEndpoint.horses).toBe(before?.n);
  });

  test('prune_api_requests summarises and deletes requests older than 90 days before its scheduled time', async () => {
    const [kept] = await db.sql`select count(*)::int as n from api_requests`;
    const [raw] = await db.sql`select count(*)::int as n from raw_responses`;
    // 91 days before the scheduled date is past the retention, 89 days is not.
    await db.sql`
      insert into api_requests (requested_at, endpoint, path, status, attempt, duration_ms, bytes, error)
      values ('2025-03-12T10:00:00Z', 'results', '/v1/results', 200, 1, 100, 1000, null),
             ('2025-03-12T11:00:00Z', 'results', '/v1/results', 200, 1, 50, 500, null),
             ('2025-03-12T12:00:00Z', 'results', '/v1/results', null, 1, null, null, 'timeout'),
             ('2025-03-14T10:00:00Z', 'horses', '/v1/horses/hrs_1/pro', 404, 1, 10, 20, null)`;
    await addJob(db.sql, 'prune_api_requests', scheduled('prune_api_requests'));
    await drain();
    const summary = await db.sql`
      select day::text, endpoint, status, requests::int, errors::int, bytes::int, duration_ms::int
      from api_requests_daily order by day, endpoint, status nulls last`;
    expect(summary).toEqual([
      {
        day: '2025-03-12',
        endpoint: 'results',
        status: 200,
        requests: 2,
        errors: 0,
        bytes: 1500,
        duration_ms: 150,
      },
      {
        day: '2025-03-12',
        endpoint: 'results',
        status: null,
        requests: 1,
        errors: 1,
        bytes: 0,
        duration_ms: 0,
      },
    ]);
    const [left] = await db.sql`select count(*)::int as n from api_requests`;
    expect(left?.n).toBe((kept?.n ?? 0) + 1);
    const [rawAfter] = await db.sql`select count(*)::int as n from raw_responses`;
    expect(rawAfter?.n).toBe(raw?.n);

    // Idempotent: a second run (a catch-up of the same day) finds nothing more to summarise.
    await addJob(db.sql, 'prune_api_requests', scheduled('prune_api_requests'));
    await drain();
    expect(
      await db.sql`select day::text, status, requests::int from api_requests_daily order by 1, 2`,
    ).toEqual([
      { day: '2025-03-12', status: 200, requests: 2 },
      { day: '2025-03-12', status: null, requests: 1 },
    ]);
  });

  test('load_courses loads every course and region of the API in two calls', async () => {
    await addJob(db.sql, 'load_courses', scheduled('load_courses'));
    await drain();
    const [courses] = await db.sql`select count(*)::int as n from ra_courses`;
    const [regions] = await db.sql`select count(*)::int as n from ra_course_regions`;
    expect(courses?.n).toBeGreaterThan(0);
    expect(regions?.n).toBeGreaterThan(0);
    expect(await queuedJobs(db.sql)).toEqual([]);
  });
});
