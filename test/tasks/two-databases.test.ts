import { afterAll, beforeAll, expect, test } from 'vitest';
import { drainQueue } from '../../src/worker.ts';
import { createTestDatabase, useTestDatabase } from '../helpers/db.ts';
import { racingChecksums } from '../helpers/racing-tables.ts';
import { addJob, useSimulator } from '../helpers/racing-worker.ts';

const a = useTestDatabase();
let b: Awaited<ReturnType<typeof createTestDatabase>>;
useSimulator({ racesPerDayScale: 0.2 });

beforeAll(async () => {
  b = await createTestDatabase();
});
afterAll(async () => {
  await b?.drop();
});

test('two runners on two databases in one process each write only to their own database', async () => {
  const payload = { start_date: '2024-04-09', end_date: '2024-04-10', source: 'results' };
  await addJob(a.sql, 'backfill_dates', payload);
  await addJob(b.sql, 'backfill_dates', payload);
  await Promise.all([
    drainQueue({ connectionString: a.url, concurrency: 3, noHandleSignals: true }),
    drainQueue({ connectionString: b.url, concurrency: 3, noHandleSignals: true }),
  ]);
  for (const db of [a.sql, b.sql]) {
    const states = await db`select status from fetch_state order by date`;
    expect(states).toEqual([{ status: 'done' }, { status: 'done' }]);
    const [untried] = await db`select count(*)::int as n from ra_horses where enrichment_status is null`;
    expect(untried?.n).toBe(0);
  }
  const [ca, cb] = [await racingChecksums(a.sql), await racingChecksums(b.sql)];
  // Same API answers, so the same content; only row timestamps (in these checksums) may differ.
  for (const table of ['ra_mst_races', 'ra_mst_runners', 'ra_horses', 'raw_responses'])
    expect(cb[table]?.split(':')[0]).toBe(ca[table]?.split(':')[0]);
});
