import { describe, expect, test } from 'vitest';
import { drainQueue } from '../../src/worker.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { addJob, queuedJobs, useSimulator } from '../helpers/racing-worker.ts';

const db = useTestDatabase();
const env = useSimulator();
const drain = () => drainQueue({ connectionString: db.url, concurrency: 1, noHandleSignals: true });

describe('load_courses', () => {
  test('loads every course and region in two calls, archives both answers, and a re-run changes nothing', async () => {
    env.sim.resetStats();
    await addJob(db.sql, 'load_courses', {});
    await drain();
    expect(env.sim.stats().byEndpoint.courses).toBe(2);
    const regions = await db.sql`select code, name from ra_course_regions order by code`;
    expect(regions).toEqual([
      { code: 'gb', name: 'Great Britain' },
      { code: 'ire', name: 'Ireland' },
    ]);
    const [courses] = await db.sql`
      select count(*)::int as n, count(*) filter (where region_code = 'ire' and region = 'Ireland')::int as ire
      from ra_courses`;
    expect(courses?.n).toBeGreaterThan(50);
    expect(courses?.ire).toBeGreaterThan(10);
    const raw =
      await db.sql`select request_key from raw_responses where endpoint = 'courses' order by request_key`;
    expect(raw).toEqual([{ request_key: 'courses:all' }, { request_key: 'courses:regions' }]);
    const [before] = await db.sql`select max(updated_at) as t from ra_courses`;
    await addJob(db.sql, 'load_courses', {});
    await drain();
    const [after] = await db.sql`select max(updated_at) as t from ra_courses`;
    expect(after?.t).toEqual(before?.t);
    expect(await queuedJobs(db.sql)).toEqual([]);
  });
});
