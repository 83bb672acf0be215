import { describe, expect, test } from 'vitest';
import { horseProMissing, racesForDate } from '../../src/simulator/index.ts';
import { drainQueue } from '../../src/worker.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { racingChecksums } from '../helpers/racing-tables.ts';
import { addJob, queuedJobs, useSimulator } from '../helpers/racing-worker.ts';

const db = useTestDatabase();
// A small day (about 7 races) keeps enrichment of every runner quick.
const SCALE = 0.2;
const env = useSimulator({ racesPerDayScale: SCALE });
const drain = () => drainQueue({ connectionString: db.url, concurrency: 2, noHandleSignals: true });

// Before racecards existed (2023-01-23): these horses can only get their profile by a call.
const DATE = '2016-04-05';
const runners = racesForDate(DATE, ['gb', 'ire'], 'default', SCALE).flatMap((r) =>
  r.runners.filter((u) => !u.nonRunner).map((u) => u.horse),
);
const found = runners.find((h) => !horseProMissing(h.id))!;
const missing = runners.find((h) => horseProMissing(h.id));
const unseen = 'hrs_990000001';

describe('enrich_horse', () => {
  test('writes the profile and the pedigree (region from the results name), archives the raw answer, never calls twice', async () => {
    // Results first: the horse gets its region from its name suffix, no enrichment queued.
    await addJob(db.sql, 'fetch_results_day', { date: DATE, enrich: false });
    await drain();
    env.sim.resetStats();
    await addJob(db.sql, 'enrich_horse', { horse_id: found.id });
    await drain();
    expect(env.sim.stats().byEndpoint.horses).toBe(1);
    const [h] = await db.sql`
      select name, sex_code, colour_code, dob::text, enrichment_status, enriched_at is not null as stamped, region
      from ra_horses where id = ${found.id}`;
    expect(h).toMatchObject({
      name: found.name,
      sex_code: found.sexCode,
      enrichment_status: 'enriched',
      colour_code: found.colour.toUpperCase(),
      stamped: true,
    });
    expect(h?.dob).toBe(found.dob);
    expect(h?.region).toBe(found.region);
    const [p] = await db.sql`select * from ra_horse_pedigree where horse_id = ${found.id}`;
    expect(p?.region).toBe(found.region);
    if (found.sireDigits !== null) expect(p?.sire_horse_id).toBe(`hrs_${found.sireDigits}`);
    if (found.damsireDigits !== null) expect(p?.damsire_horse_id).toBe(`hrs_${found.damsireDigits}`);
    expect(p?.sire ?? '').not.toMatch(/\([A-Z]+\)$/);
    const raw =
      await db.sql`select status, valid from raw_responses where request_key = ${`horses:${found.id}:pro`}`;
    expect(raw).toEqual([{ status: 200, valid: true }]);

    env.sim.resetStats();
    await addJob(db.sql, 'enrich_horse', { horse_id: found.id });
    await drain();
    expect(env.sim.stats().total).toBe(0);
  });

  test('404 marks the horse not_available, ends the job and is never retried', async () => {
    const id = missing?.id ?? unseen;
    env.sim.resetStats();
    await addJob(db.sql, 'enrich_horse', { horse_id: id });
    await drain();
    const [h] = await db.sql`select enrichment_status from ra_horses where id = ${id}`;
    expect(h?.enrichment_status).toBe('not_available');
    expect(await queuedJobs(db.sql)).toEqual([]);
    await addJob(db.sql, 'enrich_horse', { horse_id: id });
    await drain();
    expect(env.sim.stats().total).toBe(1);
  });

  test('a results day queues enrichment only for its horses never tried, one call per horse', async () => {
    await db.sql`update ra_horses set enrichment_status = 'enriched' where id in (select id from ra_horses where enrichment_status is null order by id limit 5)`;
    const [before] = await db.sql`select count(*)::int as n from ra_horses where enrichment_status is null`;
    env.sim.resetStats();
    // Forced: the first test fetched this date already (without enrichment).
    await addJob(db.sql, 'fetch_results_day', { date: DATE, force: true });
    await drain();
    const stats = env.sim.stats();
    const [after] = await db.sql`
      select count(*) filter (where h.enrichment_status is null)::int as untried,
             count(*) filter (where h.enrichment_status is null and exists (
               select 1 from ra_mst_runners u where u.horse_id = h.id and u.position is not null))::int as untried_runners
      from ra_horses h`;
    // Horses that ran got their one call; declared non-runners (racecards only) wait for a day they run.
    expect(after?.untried_runners).toBe(0);
    expect(stats.byEndpoint.horses).toBe((before?.n ?? 0) - (after?.untried ?? 0));
    expect(stats.byEndpoint.horses).toBeGreaterThan(0);
    expect(stats.byEndpoint.results).toBe(1);
    expect(await queuedJobs(db.sql)).toEqual([]);
  });

  test('while a racecard fetch is queued, an enrich job waits and a results day parks its jobs; that fetch releases them when it ends', async () => {
    const horse = runners.find((h) => !horseProMissing(h.id) && h.id !== found.id)!;
    await db.sql`update ra_horses set enrichment_status = null where id = ${horse.id}`;
    // As backfill_dates leaves a racecard date it has queued but not fetched yet (its job due later here, so
    // that the drain does not run it).
    await db.sql`insert into fetch_state (source, date, status, regions) values ('racecards', '2024-05-01', 'pending', '{gb,ire}')`;
    await db.sql`select graphile_worker.add_job('fetch_racecards_day', '{"date": "2024-05-01"}',
      job_key => 'racecards:2024-05-01', run_at => now() + interval '1 hour')`;
    env.sim.resetStats();
    await addJob(db.sql, 'enrich_horse', { horse_id: horse.id });
    await drain();
    expect(env.sim.stats().total).toBe(0);
    const [later] = await db.sql`
      select run_at > now() as later from graphile_worker.jobs where key = ${`enrich_horse:${horse.id}`}`;
    expect(later).toEqual({ later: true });
    // A results day meanwhile queues no enrichment at all, not even for an untried horse of the day: any
    // horse may be on that racecard.
    const other = runners.find((h) => h.id !== found.id && h.id !== horse.id)!;
    const [was] = await db.sql`select enrichment_status from ra_horses where id = ${other.id}`;
    await db.sql`update ra_horses set enrichment_status = null where id = ${other.id}`;
    await addJob(db.sql, 'fetch_results_day', { date: DATE, force: true });
    await drain();
    expect(env.sim.stats().byEndpoint.horses).toBe(0);
    const held = await db.sql`
      select key, run_at > now() + interval '1 year' as parked from graphile_worker.jobs
      where task_identifier = 'enrich_horse' order by key`;
    expect(held).toEqual(
      [
        { key: `enrich_horse:${horse.id}`, parked: false },
        { key: `enrich_horse:${other.id}`, parked: true },
      ].sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
    // The racecard fetch runs: the last one queued, it makes the parked job due (the job that came back
    // later keeps its time).
    await db.sql`select graphile_worker.add_job('fetch_racecards_day', '{"date": "2024-05-01"}',
      job_key => 'racecards:2024-05-01')`;
    await drain();
    expect(env.sim.stats().byEndpoint.racecards).toBe(1);
    expect(env.sim.stats().byEndpoint.horses).toBe(1);
    const [after] = await db.sql`select enrichment_status from ra_horses where id = ${other.id}`;
    expect(after?.enrichment_status).toBe(was?.enrichment_status);
    await db.sql`select graphile_worker.remove_job(${`enrich_horse:${horse.id}`})`;
  });

  test('an invalid profile is archived and recorded in job_errors; the horse stays untried and the job ends', async () => {
    const horse = runners.find((h) => !horseProMissing(h.id) && h.id !== found.id)!;
    await db.sql`update ra_horses set enrichment_status = null where id = ${horse.id}`;
    env.sim.injectFaults([{ endpoint: 'horses', kind: 'missing-field', count: 1 }]);
    await addJob(db.sql, 'enrich_horse', { horse_id: horse.id });
    await drain();
    env.sim.clearFaults();
    const [h] = await db.sql`select enrichment_status from ra_horses where id = ${horse.id}`;
    expect(h?.enrichment_status).toBeNull();
    const [raw] =
      await db.sql`select valid, validation_error from raw_responses where request_key = ${`horses:${horse.id}:pro`}`;
    expect(raw?.valid).toBe(false);
    const errors = await db.sql`select task_identifier, kind, error from job_errors`;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ task_identifier: 'enrich_horse', kind: 'invalid_response' });
    expect(await queuedJobs(db.sql)).toEqual([]);
  });
});

describe('backfill with enrichment', () => {
  const RANGE = { start_date: '2024-05-07', end_date: '2024-05-09', source: 'both' };
  const OLD = { start_date: '2016-06-01', end_date: '2016-06-01', source: 'auto' };
  const oldHorses = racesForDate(OLD.start_date, ['gb', 'ire'], 'default', SCALE).flatMap((r) =>
    r.runners.filter((u) => !u.nonRunner).map((u) => u.horse),
  );

  test('2024 horses get dob, colour, colour_code and pedigree from the racecards with zero horse calls; a 2016-only horse still gets its call', async () => {
    const known = await db.sql<{ id: string }[]>`select id from ra_horses`;
    const untried = await db.sql<{ id: string }[]>`select id from ra_horses where enrichment_status is null`;
    env.sim.resetStats();
    // The 2016 range is queued first: its enrich jobs still wait for every racecard fetch queued with them.
    await addJob(db.sql, 'backfill_dates', OLD);
    await addJob(db.sql, 'backfill_dates', RANGE);
    await drain();
    const [pages] = await db.sql`
      select coalesce(sum(pages), 0)::int as n from fetch_state
      where date between '2024-05-07' and '2024-05-09' or date = '2016-06-01'`;
    const horses = await db.sql<
      {
        id: string;
        enrichment_status: string | null;
        dob: string | null;
        colour: string | null;
        colour_code: string | null;
        sire_id: string | null;
        carded: boolean;
      }[]
    >`
      select h.id, h.enrichment_status, h.dob::text, h.colour, h.colour_code, p.sire_id,
             exists (select from ra_mst_runners u join ra_mst_races r on r.id = u.race_id
                     where u.horse_id = h.id and r.racecard_fetched_at is not null) as carded
      from ra_horses h left join ra_horse_pedigree p on p.horse_id = h.id
      where h.id <> all(${known.map((h) => h.id)}::text[])`;
    const stats = env.sim.stats();
    expect(pages?.n).toBe(7); // 3 dates x (results + racecards) + one 2016 results page
    const carded = horses.filter((h) => h.carded);
    const uncarded = horses.filter((h) => !h.carded);
    expect(carded.length).toBeGreaterThan(50);
    for (const h of carded) {
      expect(h.enrichment_status).toBe('racecard');
      expect(h.dob).not.toBeNull();
      expect(h.colour).not.toBeNull();
      expect(h.colour_code).toBe(h.colour?.toUpperCase());
      expect(h.sire_id).not.toBeNull();
    }
    // Only horses never seen on a racecard cost a call: here the 2016 ones (and none an earlier test left
    // untried: only the horses of the queued days are queued).
    const [retried] = await db.sql`
      select count(*)::int as n from ra_horses
      where id = any(${untried.map((h) => h.id)}::text[]) and enrichment_status in ('enriched', 'not_available')`;
    expect(retried?.n).toBe(0);
    expect(stats.byEndpoint.horses).toBe(uncarded.length + (retried?.n ?? 0));
    expect(stats.total).toBe((pages?.n ?? 0) + uncarded.length + (retried?.n ?? 0));
    for (const h of uncarded)
      expect(h.enrichment_status).toBe(horseProMissing(h.id) ? 'not_available' : 'enriched');
    const onlyIn2016 = oldHorses.find((h) => h.lastSeason === 2016 && !horseProMissing(h.id));
    expect(onlyIn2016).toBeDefined();
    const raw =
      await db.sql`select status from raw_responses where request_key = ${`horses:${onlyIn2016?.id}:pro`}`;
    expect(raw).toEqual([{ status: 200 }]);
    const [split] = await db.sql`select enriched_horses, from_racecard, from_api from v_horse_enrichment`;
    expect(Number(split?.from_racecard)).toBeGreaterThanOrEqual(carded.length);
    expect(Number(split?.enriched_horses)).toBe(Number(split?.from_racecard) + Number(split?.from_api));
    const [cov] = await db.sql`
      select count(*) filter (where p.sire_horse_id is not null)::int as with_sire, count(*)::int as n
      from ra_horses h join ra_horse_pedigree p on p.horse_id = h.id where h.enrichment_status = 'enriched'`;
    expect(cov?.with_sire).toBeGreaterThan(0);
    expect(await queuedJobs(db.sql)).toEqual([]);
  });

  test('an enrich job for a horse that got its racecard meanwhile ends without a call', async () => {
    const [h] = await db.sql<{ id: string }[]>`
      select id from ra_horses where enrichment_status = 'racecard' order by id limit 1`;
    env.sim.resetStats();
    await addJob(db.sql, 'enrich_horse', { horse_id: h?.id });
    await drain();
    expect(env.sim.stats().total).toBe(0);
  });

  test('the same backfill again: zero API calls, every table identical', async () => {
    const before = await racingChecksums(db.sql);
    env.sim.resetStats();
    await addJob(db.sql, 'backfill_dates', RANGE);
    await drain();
    expect(env.sim.stats().total).toBe(0);
    expect(await racingChecksums(db.sql)).toEqual(before);
  });
});
