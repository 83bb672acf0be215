import type { Sql } from '../../src/db.ts';

// Demo-like content for the coverage report (browser test and README screenshot): six years of races
// with two thin ones, horses part enriched, a few Betfair snapshots with NULL L1 sizes, two ladder
// backfill runs, an overnight API run with some 429/404/500 and network errors, and backfill state.
// Everything in SQL, relative to a fixed night so the picture is the same each time.

export const DEMO_NEWEST_REQUEST = '2026-03-02T06:00:00Z';

export async function seedReportDemo(sql: Sql): Promise<void> {
  await sql`insert into ra_courses (id, name, region) values
    ('crs_1', 'Ascot', 'GB'), ('crs_2', 'Leopardstown', 'IRE'), ('crs_3', 'Kempton <AW>', 'GB')`;
  await sql`insert into ra_jockeys (id, name) select 'jky_' || i, 'Jockey ' || i from generate_series(1, 40) i`;
  await sql`insert into ra_trainers (id, name) select 'trn_' || i, 'Trainer ' || i from generate_series(1, 25) i`;
  await sql`insert into ra_owners (id, name) select 'own_' || i, 'Owner ' || i from generate_series(1, 60) i`;
  // 600 horses: 70% enriched, 5% not available at the API, the rest not tried yet; 60% with pedigree.
  await sql`
    insert into ra_horses (id, name, enrichment_status)
    select 'hrs_' || i, 'Horse ' || i,
      case when i <= 420 then 'enriched' when i <= 450 then 'not_available' end
    from generate_series(1, 600) i`;
  await sql`
    insert into ra_horse_pedigree (horse_id, sire_id, dam_id)
    select 'hrs_' || i, 'sir_' || (i + 1000), 'dam_' || (i + 2000) from generate_series(1, 360) i`;
  // 40 races per year 2020-2025; 2021 and 2023 have races without runners (a thin backfill).
  await sql`
    insert into ra_mst_races (id, course_id, date, race_name)
    select 'rac_' || y || '_' || n, 'crs_' || (1 + n % 3), make_date(y, 1 + n % 12, 1 + n % 28), 'Race ' || n
    from generate_series(2020, 2025) y, generate_series(1, 40) n`;
  await sql`
    insert into ra_mst_runners (race_id, horse_id, jockey_id, trainer_id, owner_id)
    select 'rac_' || y || '_' || n, 'hrs_' || (1 + (y * 40 + n * 13 + k * 37) % 600),
      'jky_' || (1 + k % 40), 'trn_' || (1 + n % 25), 'own_' || (1 + k % 60)
    from generate_series(2020, 2025) y, generate_series(1, 40) n, generate_series(1, 6 + (n % 7)) k
    where not (y = 2021 and n <= 6) and not (y = 2023 and n <= 3)
    on conflict do nothing`;
  await seedLadders(sql);
  await seedApiRequests(sql);
  await sql`
    insert into fetch_state (source, date, status, pages)
    select 'results', d::date, case when d < '2025-09-01' then 'done' when d < '2025-09-05' then 'failed' else 'pending' end, 2
    from generate_series('2025-06-01'::date, '2025-10-31'::date, interval '1 day') d`;
  await sql`
    insert into fetch_state (source, date, status, pages)
    select 'racecards', d::date, case when d < '2025-10-20' then 'done' else 'pending' end, 1
    from generate_series('2025-10-01'::date, '2025-10-31'::date, interval '1 day') d`;
}

async function seedLadders(sql: Sql): Promise<void> {
  await sql`
    insert into market_event_metadata (market_id, home_selection_id, away_selection_id, draw_selection_id)
    values ('1.100', 11, 22, 58805)`;
  // 30 snapshots: home always has an L1 back; away has one only in the first 20; no draw ladder at all.
  await sql`
    insert into market_book_snapshots (market_id, snapshot_at, raw_payload)
    select '1.100', timestamptz '2026-03-01 12:00Z' + i * interval '1 minute',
      jsonb_build_object('marketId', '1.100', 'runners', jsonb_build_array(
        jsonb_build_object('selectionId', 11, 'ex', jsonb_build_object('availableToBack',
          jsonb_build_array(jsonb_build_object('price', 2.5, 'size', 100 + i)))),
        jsonb_build_object('selectionId', 22, 'ex', jsonb_build_object('availableToBack',
          case when i <= 20 then jsonb_build_array(jsonb_build_object('price', 3.1, 'size', 50)) else '[]' end))))
    from generate_series(1, 30) i`;
  // Derived rows for the first 25 only, with the home L1 size missing in 5 of them (fillable NULLs).
  await sql`
    insert into market_derived_metrics (snapshot_id, market_id, snapshot_at, home_best_back_size_l1)
    select snapshot_id, market_id, snapshot_at, case when snapshot_id % 5 = 0 then null else 100 end
    from market_book_snapshots order by snapshot_id limit 25`;
  await sql`
    insert into ladder_backfill_runs
      (dry_run, params, status, scanned, derived_rows_created, updated_by_column, skipped_by_reason, errors,
       last_error, started_at, finished_at)
    values
      (true, '{"batch": 500}', 'done', 30, 0, '{"home_best_back_size_l1": 5}', '{"no_metadata": 0}', 0, null,
       '2026-03-01 20:00Z', '2026-03-01 20:01Z'),
      (false, '{"batch": 500}', 'failed', 12, 2, '{"home_best_back_size_l1": 2}', '{}', 1,
       'statement timeout <after 30s> & rolled back', '2026-03-01 21:00Z', '2026-03-01 21:02Z')`;
}

async function seedApiRequests(sql: Sql): Promise<void> {
  // An overnight run from 22:00 to 06:00: a steady rate with a 429 burst near 01:00, some 404s on
  // horses, a few 500s and network errors, and a slower hour from 02:00. One old row, outside the 24 h window, must not show.
  await sql`
    insert into api_requests (requested_at, endpoint, path, status, attempt)
    select t, case when i % 3 = 0 then 'horses' else 'results' end, '/v1/results', s, 1
    from generate_series(1, 480 * 30) i
    cross join lateral (select ${DEMO_NEWEST_REQUEST}::timestamptz - (480 * 30 - i) * interval '2 seconds' as t) ts
    cross join lateral (select case
      when i between 5400 and 5700 then 429
      when i % 97 = 0 then 404
      when i % 401 = 0 then 500
      when i % 733 = 0 then null
      else 200 end as s) st
    where i % 3 <> 0 or extract(hour from t) not between 2 and 3`;
  await sql`
    insert into api_requests (requested_at, endpoint, path, status, attempt)
    values (${DEMO_NEWEST_REQUEST}::timestamptz - interval '3 days', 'results', '/v1/results', 200, 1)`;
}
