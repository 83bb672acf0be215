// Bulk history for the scale benchmark, built set-based in SQL: S runners in S/10 races, with their
// horses, jockeys, trainers and owners, under ids ('..._bench_N') that the simulator never uses, so the
// measured dates insert into big tables without touching the seeded rows.
import type { Sql } from '../../src/db.ts';

export async function seedRunnerHistory(sql: Sql, runners: number): Promise<void> {
  const races = Math.max(1, Math.ceil(runners / 10));
  const horses = Math.max(1, Math.ceil(runners / 8));
  await sql`insert into ra_courses (id, name, region_code, region) values ('crs_bench', 'Bench Park', 'gb', 'Great Britain')`;
  await sql`insert into ra_jockeys (id, name) select 'jky_bench_' || n, 'Bench Jockey ' || n from generate_series(1, 2000) n`;
  await sql`insert into ra_trainers (id, name, location) select 'trn_bench_' || n, 'Bench Trainer ' || n, 'Newmarket' from generate_series(1, 2000) n`;
  await sql`insert into ra_owners (id, name) select 'own_bench_' || n, 'Bench Owner ' || n from generate_series(1, 20000) n`;
  await sql`
    insert into ra_horses (id, name, sex, sex_code, dob, colour, colour_code, region, breeder, enrichment_status, enriched_at)
    select 'hrs_bench_' || n, 'Bench Horse ' || n, 'gelding', 'G', date '2012-01-01' + (n % 3000), 'bay', 'B', 'GB',
           'Bench Stud ' || (n % 500), 'enriched', now()
    from generate_series(1, ${horses}::int) n`;
  await sql`
    insert into ra_mst_races (id, course_id, course, date, off_dt, race_name, region, type, race_class,
      distance_text, distance_furlongs, going, surface, field_size, prize_amount, prize_currency, result_fetched_at)
    select 'rac_bench_' || n, 'crs_bench', 'Bench Park', date '2005-01-01' + n / 35,
           timestamptz '2005-01-01 13:00Z' + (n / 35) * interval '1 day' + (n % 35) * interval '10 minutes',
           'Bench Handicap Stakes (Class ' || (n % 7 + 1) || ')', 'GB', 'Flat', 'Class ' || (n % 7 + 1),
           '1m2f', 10, 'Good', 'Turf', 10, 5000 + n % 20000, 'GBP', now()
    from generate_series(1, ${races}::int) n`;
  // Chunks keep each statement's memory and WAL burst small.
  const chunk = 250_000;
  for (let from = 0; from < runners; from += chunk) {
    const to = Math.min(runners, from + chunk) - 1;
    await sql`
      insert into ra_mst_runners (race_id, horse_id, jockey_id, trainer_id, owner_id, horse_name, number, draw,
        age, sex_code, weight_lbs, weight_st_lbs, headgear, ofr, rpr, ts, position, position_num, sp, sp_dec,
        btn, ovr_btn, time_seconds, prize_amount, prize_currency, result_comment)
      select 'rac_bench_' || (n / 10 + 1), 'hrs_bench_' || ((n::bigint * 7919) % ${horses}::int + 1),
             'jky_bench_' || (n % 2000 + 1), 'trn_bench_' || (n * 13 % 2000 + 1), 'own_bench_' || (n * 17 % 20000 + 1),
             'Bench Horse ' || ((n::bigint * 7919) % ${horses}::int + 1), n % 10 + 1, n % 10 + 1, 3 + n % 8, 'G',
             112 + n % 40, (8 + n % 3) || '-' || (n % 14), case when n % 4 = 0 then 'p' end, 50 + n % 60,
             60 + n % 60, 40 + n % 60, (n % 10 + 1)::text, n % 10 + 1, (n % 20 + 1) || '/1', n % 20 + 2.0,
             (n % 10) * 1.5, (n % 10) * 1.75, 120 + (n % 100) / 10.0, case when n % 10 < 3 then 1000 - (n % 10) * 300 end,
             'GBP', 'Tracked leaders, pushed along 2f out, kept on same pace final furlong (' || n || ')'
      from generate_series(${from}::int, ${to}::int) n`;
  }
  await sql`vacuum analyze`;
}
