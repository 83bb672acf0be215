import { describe, expect, test } from 'vitest';
import { ukToday } from '../../src/racing/dates.ts';
import { raceCountForDate } from '../../src/simulator/index.ts';
import { drainQueue } from '../../src/worker.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { racingChecksums } from '../helpers/racing-tables.ts';
import { addJob, queuedJobs, useSimulator } from '../helpers/racing-worker.ts';

const db = useTestDatabase();
const env = useSimulator();
const drain = () => drainQueue({ connectionString: db.url, concurrency: 4, noHandleSignals: true });

// Christmas Eve and Day have no racing; Boxing Day has more than one results page (> 50 races).
const DATES = ['2024-12-24', '2024-12-25', '2024-12-26'];
const RANGE = { start_date: DATES[0], end_date: DATES[2], enrich: false };

describe('backfill over a date range', () => {
  // Enrichment is off here (about 600 horse calls would dominate the run); enrich.test.ts covers the
  // horse calls of a backfill at a smaller daily volume.
  test('fetches every date, pages busy days, stores empty days, one call per page', async () => {
    env.sim.resetStats();
    await addJob(db.sql, 'backfill_dates', { ...RANGE, source: 'results' });
    await drain();

    const expected = DATES.map((d) => raceCountForDate(d, 'default'));
    expect(expected[1]).toBe(0);
    expect(expected[2]).toBeGreaterThan(50);
    const states = await db.sql`
      select date::text, status, pages, races, runners, total from fetch_state where source = 'results' order by date`;
    expect(states.map((s) => [s.date, s.status, s.races])).toEqual(
      DATES.map((d, i) => [d, 'done', expected[i]]),
    );
    expect(states[2]?.pages).toBe(2);
    const perDate =
      await db.sql`select date::text, count(*)::int as n from ra_mst_races group by date order by date`;
    expect(perDate).toEqual(
      DATES.flatMap((d, i) => ((expected[i] ?? 0) > 0 ? [{ date: d, n: expected[i] }] : [])),
    );
    for (const s of states) {
      const [r] = await db.sql`
        select count(*)::int as n from ra_mst_runners u join ra_mst_races r on r.id = u.race_id where r.date = ${s.date}`;
      expect(r?.n).toBe(s.runners);
    }

    // Minimal calls: one request per results page, nothing else.
    const pages = states.reduce((a, s) => a + (s.pages as number), 0);
    const stats = env.sim.stats();
    expect(stats.byEndpoint.results).toBe(pages);
    expect(stats.total).toBe(pages);
    const [untried] = await db.sql`select count(*)::int as n from ra_horses where enrichment_status is null`;
    expect(untried?.n).toBeGreaterThan(500); // every runner's horse is there, waiting for enrichment
    expect(await queuedJobs(db.sql)).toEqual([]);
    const raw = await db.sql`select count(*)::int as n from raw_responses`;
    expect(raw[0]?.n).toBe(stats.total);
  });

  test('a second backfill of the same range makes zero API calls and leaves every table identical', async () => {
    const before = await racingChecksums(db.sql);
    env.sim.resetStats();
    await addJob(db.sql, 'backfill_dates', { ...RANGE, source: 'results' });
    await drain();
    expect(env.sim.stats().total).toBe(0);
    expect(await racingChecksums(db.sql)).toEqual(before);
  });

  test('racecards for the same dates add racecard-only fields and keep every results column', async () => {
    const [resultsBefore] = await db.sql`
      select md5(string_agg(concat_ws('|', race_id, horse_id, position, sp, sp_dec, time_seconds, prize_amount, ofr), ',' order by race_id, horse_id)) as m
      from ra_mst_runners where position is not null`;
    env.sim.resetStats();
    await addJob(db.sql, 'backfill_dates', { ...RANGE, source: 'both' });
    await drain();
    const stats = env.sim.stats();
    // Racecard pages only: the results are done.
    expect(stats.byEndpoint.results).toBe(0);
    expect(stats.total).toBe(DATES.length);
    expect(stats.byEndpoint.racecards).toBe(DATES.length);
    const [resultsAfter] = await db.sql`
      select md5(string_agg(concat_ws('|', race_id, horse_id, position, sp, sp_dec, time_seconds, prize_amount, ofr), ',' order by race_id, horse_id)) as m
      from ra_mst_runners where position is not null`;
    expect(resultsAfter?.m).toBe(resultsBefore?.m);
    const [filled] = await db.sql`
      select count(*) filter (where exists (select from ra_runner_odds o where o.race_id = u.race_id and o.horse_id = u.horse_id))::int as odds,
             count(*) filter (where position is not null)::int as pos, count(*)::int as n
      from ra_mst_runners u`;
    expect(filled?.odds).toBeGreaterThan(0);
    expect(filled?.pos).toBeGreaterThan(0);
    const states =
      await db.sql`select status, count(*)::int as n from fetch_state where source = 'racecards' group by status`;
    expect(states).toEqual([{ status: 'done', n: DATES.length }]);
  });

  test("today's racecards are fetched again each time they are queued (not final), without duplicating rows", async () => {
    const today = ukToday();
    env.sim.resetStats();
    await addJob(db.sql, 'fetch_racecards_day', { date: today, enrich: false });
    await drain();
    const [first] = await db.sql`select count(*)::int as n from ra_mst_races where date = ${today}`;
    await addJob(db.sql, 'fetch_racecards_day', { date: today, enrich: false });
    await drain();
    const [second] = await db.sql`select count(*)::int as n from ra_mst_races where date = ${today}`;
    expect(env.sim.stats().byEndpoint.racecards).toBe(2);
    expect(second?.n).toBe(first?.n);
    const [s] =
      await db.sql`select status, attempts from fetch_state where source = 'racecards' and date = ${today}`;
    expect(s).toEqual({ status: 'done', attempts: 2 });
  });
});
