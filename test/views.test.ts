import { beforeEach, describe, expect, test } from 'vitest';
import { useTestDatabase } from './helpers/db.ts';

const db = useTestDatabase();

async function truncateAll() {
  await db.sql`
    truncate ra_mst_runners, ra_mst_races, ra_horse_pedigree, ra_horses, ra_jockeys, ra_trainers, ra_owners,
      ra_courses, ra_bookmakers, market_derived_metrics, market_book_snapshots, market_event_metadata,
      fetch_state, api_requests, rate_limit_slots restart identity cascade`;
}

async function race(id: string, date: string) {
  await db.sql`insert into ra_mst_races (id, date) values (${id}, ${date})`;
}

async function horse(id: string, status: string | null = null) {
  await db.sql`insert into ra_horses (id, enrichment_status) values (${id}, ${status})`;
}

async function runner(raceId: string, horseId: string) {
  await db.sql`insert into ra_mst_runners (race_id, horse_id) values (${raceId}, ${horseId})`;
}

describe('verification views on an empty database', () => {
  beforeEach(truncateAll);

  test('every view answers without dividing by zero', async () => {
    expect(await db.sql`select * from v_runner_coverage_by_year`).toHaveLength(0);
    expect(await db.sql`select * from v_orphaned_runners`).toHaveLength(0);
    const [enrichment] = await db.sql`select * from v_horse_enrichment`;
    expect(enrichment).toMatchObject({ total_horses: '0', enriched_horses: '0', not_enriched: '0' });
    expect(Number(enrichment?.enrichment_pct)).toBe(0);
    const [pedigree] = await db.sql`select * from v_pedigree_coverage`;
    expect(Number(pedigree?.pedigree_coverage_pct)).toBe(0);
    const counts = await db.sql`select entity_type, total_count::int as n from v_entity_counts`;
    expect(counts.map((c) => c.entity_type)).toEqual([
      'jockeys',
      'trainers',
      'owners',
      'horses',
      'pedigrees',
      'courses',
      'races',
      'runners',
    ]);
    expect(counts.every((c) => c.n === 0)).toBe(true);
    const l1 =
      await db.sql`select column_name, null_count::int, total_rows::int, pct_null::float from v_l1_null_counts`;
    expect(l1).toEqual([
      { column_name: 'home_best_back_size_l1', null_count: 0, total_rows: 0, pct_null: 0 },
      { column_name: 'away_best_back_size_l1', null_count: 0, total_rows: 0, pct_null: 0 },
      { column_name: 'draw_best_back_size_l1', null_count: 0, total_rows: 0, pct_null: 0 },
    ]);
    const progress = await db.sql`select source, total::int, pending::int from v_backfill_progress`;
    expect(progress).toEqual([
      { source: 'horses', total: 0, pending: 0 },
      { source: 'racecards', total: 0, pending: 0 },
      { source: 'results', total: 0, pending: 0 },
    ]);
  });
});

describe('v_runner_coverage_by_year', () => {
  beforeEach(truncateAll);

  test('counts races with and without runners per year, newest year first', async () => {
    await race('rac_1', '2024-03-01');
    await race('rac_2', '2024-03-01');
    await race('rac_3', '2024-12-31');
    await race('rac_4', '2023-06-01');
    for (const h of ['hrs_1', 'hrs_2', 'hrs_3']) await horse(h);
    await runner('rac_1', 'hrs_1');
    await runner('rac_1', 'hrs_2');
    await runner('rac_1', 'hrs_3');
    await runner('rac_3', 'hrs_1');
    await runner('rac_4', 'hrs_2');
    const rows = await db.sql`
      select year, total_races::int, races_with_runners::int, coverage_pct::float, total_runners::int,
             avg_runners_per_race::float
      from v_runner_coverage_by_year`;
    expect(rows).toEqual([
      {
        year: 2024,
        total_races: 3,
        races_with_runners: 2,
        coverage_pct: 66.67,
        total_runners: 4,
        avg_runners_per_race: 1.3,
      },
      {
        year: 2023,
        total_races: 1,
        races_with_runners: 1,
        coverage_pct: 100,
        total_runners: 1,
        avg_runners_per_race: 1,
      },
    ]);
  });
});

describe('horse enrichment and pedigree coverage', () => {
  beforeEach(truncateAll);

  test('a 404 (not_available) is not counted as enriched, NULL status is not enriched', async () => {
    await horse('hrs_1', 'enriched');
    await horse('hrs_2', 'enriched');
    await horse('hrs_3', 'not_available');
    await horse('hrs_4', null);
    const [row] = await db.sql`
      select total_horses::int, enriched_horses::int, not_enriched::int, enrichment_pct::float from v_horse_enrichment`;
    expect(row).toEqual({ total_horses: 4, enriched_horses: 2, not_enriched: 2, enrichment_pct: 50 });
  });

  test('racecard and API profiles both count as enriched, shown apart', async () => {
    await horse('hrs_1', 'racecard');
    await horse('hrs_2', 'racecard');
    await horse('hrs_3', 'enriched');
    await horse('hrs_4', 'not_available');
    const [row] = await db.sql`
      select enriched_horses::int, from_racecard::int, from_api::int, not_enriched::int from v_horse_enrichment`;
    expect(row).toEqual({ enriched_horses: 3, from_racecard: 2, from_api: 1, not_enriched: 1 });
  });

  test('pedigree coverage counts horses with a pedigree row, and ancestors get hrs_ ids by the digit rule', async () => {
    await horse('hrs_10', 'enriched');
    await horse('hrs_11');
    await horse('hrs_12');
    await db.sql`
      insert into ra_horse_pedigree (horse_id, sire_id, dam_id, damsire_id)
      values ('hrs_10', 'sir_5384960', 'dam_5055113', 'dsi_468524')`;
    const [cov] = await db.sql`
      select total_horses::int, horses_with_pedigree::int, pedigree_coverage_pct::float from v_pedigree_coverage`;
    expect(cov).toEqual({ total_horses: 3, horses_with_pedigree: 1, pedigree_coverage_pct: 33.33 });
    const [ped] = await db.sql`select sire_horse_id, dam_horse_id, damsire_horse_id from ra_horse_pedigree`;
    expect(ped).toEqual({
      sire_horse_id: 'hrs_5384960',
      dam_horse_id: 'hrs_5055113',
      damsire_horse_id: 'hrs_468524',
    });
  });

  test('an empty or malformed ancestor id derives no horse id', async () => {
    await horse('hrs_20');
    await db.sql`insert into ra_horse_pedigree (horse_id, sire_id, dam_id) values ('hrs_20', '', 'unknown')`;
    const [ped] = await db.sql`select sire_horse_id, dam_horse_id, damsire_horse_id from ra_horse_pedigree`;
    expect(ped).toEqual({ sire_horse_id: null, dam_horse_id: null, damsire_horse_id: null });
  });
});

describe('v_entity_counts and v_orphaned_runners', () => {
  beforeEach(truncateAll);

  test('counts every entity type', async () => {
    await db.sql`insert into ra_jockeys (id) values ('jky_1'), ('jky_2')`;
    await db.sql`insert into ra_courses (id, name) values ('crs_1', 'Ascot')`;
    await horse('hrs_1');
    await race('rac_1', '2024-01-01');
    await runner('rac_1', 'hrs_1');
    const rows = await db.sql`select entity_type, total_count::int as n from v_entity_counts`;
    const byType = Object.fromEntries(rows.map((r) => [r.entity_type, r.n]));
    expect(byType).toEqual({
      jockeys: 2,
      trainers: 0,
      owners: 0,
      horses: 1,
      pedigrees: 0,
      courses: 1,
      races: 1,
      runners: 1,
    });
  });

  test('lists runners whose horse or race row is missing (loaded with foreign keys off)', async () => {
    await horse('hrs_1');
    await race('rac_1', '2024-01-01');
    await runner('rac_1', 'hrs_1');
    await db.sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`; // foreign keys off, as a careless bulk load would
      await tx`insert into ra_mst_runners (race_id, horse_id) values ('rac_1', 'hrs_gone'), ('rac_gone', 'hrs_1')`;
      await tx`insert into ra_mst_runners (race_id, horse_id) values ('rac_lost', 'hrs_lost')`;
    });
    const rows = await db.sql`select race_id, horse_id, missing from v_orphaned_runners order by runner_id`;
    expect(rows).toEqual([
      { race_id: 'rac_1', horse_id: 'hrs_gone', missing: 'horse' },
      { race_id: 'rac_gone', horse_id: 'hrs_1', missing: 'race' },
      { race_id: 'rac_lost', horse_id: 'hrs_lost', missing: 'horse and race' },
    ]);
  });

  test('lists runners whose jockey, trainer or owner row is missing (no foreign keys on the people)', async () => {
    await horse('hrs_1');
    await horse('hrs_2');
    await race('rac_1', '2024-01-01');
    await db.sql`insert into ra_jockeys (id) values ('jky_1')`;
    await db.sql`insert into ra_mst_runners (race_id, horse_id, jockey_id, trainer_id, owner_id)
                 values ('rac_1', 'hrs_1', 'jky_1', null, null), ('rac_1', 'hrs_2', 'jky_gone', 'trn_gone', 'own_gone')`;
    const rows = await db.sql`select horse_id, missing from v_orphaned_runners order by runner_id`;
    expect(rows).toEqual([{ horse_id: 'hrs_2', missing: 'jockey and trainer and owner' }]);
  });
});

describe('v_l1_null_counts', () => {
  beforeEach(truncateAll);

  const level = (price: number, size: number) => ({ price, size });
  const book = (runners: Array<{ id: number; back: Array<{ price: number; size: number }> }>) => ({
    marketId: '1.1',
    runners: runners.map((r) => ({
      selectionId: r.id,
      status: 'ACTIVE',
      ex: { availableToBack: r.back, availableToLay: [], tradedVolume: [] },
    })),
  });

  async function snapshot(at: string, payload: unknown, derived: Record<string, number | null> | null) {
    const [s] = await db.sql`
      insert into market_book_snapshots (market_id, snapshot_at, raw_payload)
      values ('1.1', ${at}, ${db.sql.json(payload as never)}) returning snapshot_id`;
    if (derived) {
      await db.sql`
        insert into market_derived_metrics (snapshot_id, market_id, snapshot_at,
          home_best_back_size_l1, away_best_back_size_l1, draw_best_back_size_l1)
        values (${s!.snapshot_id}, '1.1', ${at}, ${derived.home ?? null}, ${derived.away ?? null},
          ${derived.draw ?? null})`;
    }
  }

  test('separates fillable from expected NULLs, counts the last 7 days and snapshots without a derived row', async () => {
    await db.sql`
      insert into market_event_metadata (market_id, home_selection_id, away_selection_id, draw_selection_id)
      values ('1.1', 11, 22, 58805)`;
    const full = book([
      { id: 22, back: [level(1.5, 164.01)] }, // away listed first: roles are matched by selectionId
      { id: 11, back: [level(10.5, 21.53)] },
      { id: 58805, back: [level(4.1, 614)] },
    ]);
    const homeEmpty = book([
      { id: 11, back: [] },
      { id: 22, back: [level(1.5, 10)] },
      { id: 58805, back: [level(4.1, 0)] }, // size 0 is not a level
    ]);
    const recent = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    await snapshot('2020-01-01T00:00:00Z', full, { home: 21.53, away: 164.01, draw: 614 }); // complete
    await snapshot(recent(60), full, { home: null, away: null, draw: 614 }); // home, away fillable
    await snapshot('2020-01-02T00:00:00Z', homeEmpty, { home: null, away: null, draw: null }); // home, draw expected
    await snapshot(recent(30), full, null); // no derived row: all three NULL and fillable
    const rows = await db.sql`
      select column_name, null_count::int, total_rows::int, pct_null::float, null_count_7d::int,
             fillable::int, expected::int
      from v_l1_null_counts`;
    expect(rows).toEqual([
      {
        column_name: 'home_best_back_size_l1',
        null_count: 3,
        total_rows: 4,
        pct_null: 75,
        null_count_7d: 2,
        fillable: 2,
        expected: 1,
      },
      {
        column_name: 'away_best_back_size_l1',
        null_count: 3,
        total_rows: 4,
        pct_null: 75,
        null_count_7d: 2,
        fillable: 3,
        expected: 0,
      },
      {
        column_name: 'draw_best_back_size_l1',
        null_count: 2,
        total_rows: 4,
        pct_null: 50,
        null_count_7d: 1,
        fillable: 1,
        expected: 1,
      },
    ]);
  });

  test('a market without role mapping has only expected NULLs (nothing can be filled)', async () => {
    await snapshot('2024-01-01T00:00:00Z', book([{ id: 11, back: [level(2, 5)] }]), null);
    const rows = await db.sql`select fillable::int, expected::int from v_l1_null_counts`;
    expect(rows).toEqual([
      { fillable: 0, expected: 1 },
      { fillable: 0, expected: 1 },
      { fillable: 0, expected: 1 },
    ]);
  });
});

describe('v_backfill_progress', () => {
  beforeEach(truncateAll);

  test('counts dates per source and estimates the time left at the configured rate', async () => {
    await db.sql`
      insert into fetch_state (source, date, status, pages)
      select 'results', d::date,
             case when d < '2024-01-05' then 'done' when d = '2024-01-05' then 'failed' else 'pending' end,
             case when d < '2024-01-05' then 2 end
      from generate_series('2024-01-01'::date, '2024-01-10'::date, interval '1 day') d`;
    await db.sql`insert into fetch_state (source, date, status) values ('racecards', '2024-01-01', 'outside_window')`;
    await db.sql`insert into rate_limit_slots (key, interval_ms) values ('racing_api', 250)`; // 4 per second
    await horse('hrs_1', 'enriched');
    await horse('hrs_2', 'not_available');
    await horse('hrs_3');
    await db.sql`
      insert into api_requests (endpoint, path, attempt, requested_at)
      values ('results', '/v1/results', 1, now() - interval '10 minutes'),
             ('results', '/v1/results', 2, now() - interval '10 minutes'),
             ('results', '/v1/results', 1, now() - interval '2 hours')`;
    const rows = await db.sql`
      select source, unit, total::int, done::int, failed::int, pending::int, requests_last_hour::int,
             requests_remaining::int, rate_per_sec::float, extract(epoch from eta)::float as eta_s
      from v_backfill_progress`;
    expect(rows).toEqual([
      {
        source: 'horses',
        unit: 'horses',
        total: 3,
        done: 1,
        failed: 1,
        pending: 1,
        requests_last_hour: 0,
        requests_remaining: 1,
        rate_per_sec: 4,
        eta_s: 0.25,
      },
      {
        source: 'racecards',
        unit: 'dates',
        total: 1,
        done: 1,
        failed: 0,
        pending: 0,
        requests_last_hour: 0,
        requests_remaining: 0,
        rate_per_sec: 4,
        eta_s: 0,
      },
      {
        source: 'results',
        unit: 'dates',
        total: 10,
        done: 4,
        failed: 1,
        pending: 5,
        requests_last_hour: 2,
        requests_remaining: 10,
        rate_per_sec: 4,
        eta_s: 2.5,
      },
    ]);
  });
});

describe('constraints', () => {
  beforeEach(truncateAll);

  test('duplicate natural keys are rejected', async () => {
    await race('rac_1', '2024-01-01');
    await expect(race('rac_1', '2024-01-02')).rejects.toMatchObject({ code: '23505' });
    await horse('hrs_1');
    await runner('rac_1', 'hrs_1');
    await expect(runner('rac_1', 'hrs_1')).rejects.toMatchObject({
      code: '23505',
      constraint_name: 'ra_mst_runners_race_horse_key',
    });
    await db.sql`insert into market_book_snapshots (market_id, snapshot_at, raw_payload)
      values ('1.1', '2024-01-01T00:00:00Z', '{}')`;
    await expect(
      db.sql`insert into market_book_snapshots (market_id, snapshot_at, raw_payload)
        values ('1.1', '2024-01-01T00:00:00Z', '{}')`,
    ).rejects.toMatchObject({ code: '23505', constraint_name: 'market_book_snapshots_market_at_key' });
    await db.sql`insert into fetch_state (source, date) values ('results', '2024-01-01')`;
    await expect(
      db.sql`insert into fetch_state (source, date) values ('results', '2024-01-01')`,
    ).rejects.toMatchObject({
      code: '23505',
    });
  });

  test('runners need their race and horse, and fetch_state only knows its statuses and sources', async () => {
    await expect(runner('rac_missing', 'hrs_missing')).rejects.toMatchObject({ code: '23503' });
    await expect(
      db.sql`insert into fetch_state (source, date, status) values ('results', '2024-01-01', 'finished')`,
    ).rejects.toMatchObject({ code: '23514' });
    await expect(
      db.sql`insert into fetch_state (source, date) values ('odds', '2024-01-01')`,
    ).rejects.toMatchObject({
      code: '23514',
    });
  });
});
