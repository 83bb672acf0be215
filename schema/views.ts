import { sql } from 'drizzle-orm';
import { bigint, doublePrecision, integer, interval, numeric, pgView, text } from 'drizzle-orm/pg-core';

// The verification views, declared with their SQL: drizzle-kit writes them into the migrations (after the
// functions they call, migrations/0001_functions.sql) and test/schema/drift.test.ts fails when a definition
// here and the migrations disagree. The columns type queries on them.

const pct = (name: string) => numeric(name, { mode: 'number' });

// Runner coverage per race year: races without runners are the gap a backfill must close.
export const vRunnerCoverageByYear = pgView('v_runner_coverage_by_year', {
  year: integer('year'),
  totalRaces: bigint('total_races', { mode: 'number' }),
  racesWithRunners: bigint('races_with_runners', { mode: 'number' }),
  coveragePct: pct('coverage_pct'),
  totalRunners: bigint('total_runners', { mode: 'number' }),
  avgRunnersPerRace: pct('avg_runners_per_race'),
}).as(
  sql`
    WITH per_race AS (
      SELECT r.id, extract(year FROM r.date)::integer AS year, count(run.id) AS runners
      FROM ra_mst_races r
      LEFT JOIN ra_mst_runners run ON run.race_id = r.id
      GROUP BY r.id, r.date
    )
    SELECT
      year,
      count(*) AS total_races,
      count(*) FILTER (WHERE runners > 0) AS races_with_runners,
      round(100.0 * count(*) FILTER (WHERE runners > 0) / count(*), 2) AS coverage_pct,
      sum(runners)::bigint AS total_runners,
      round(sum(runners)::numeric / count(*), 1) AS avg_runners_per_race
    FROM per_race
    GROUP BY year
    ORDER BY year DESC
  `,
);

// A horse counts as enriched once it has its profile: from a pro racecard (no call) or from
// /horses/{id}/pro; a 404 ('not_available') does not count. The two sources are shown apart.
export const vHorseEnrichment = pgView('v_horse_enrichment', {
  totalHorses: bigint('total_horses', { mode: 'number' }),
  enrichedHorses: bigint('enriched_horses', { mode: 'number' }),
  fromRacecard: bigint('from_racecard', { mode: 'number' }),
  fromApi: bigint('from_api', { mode: 'number' }),
  notEnriched: bigint('not_enriched', { mode: 'number' }),
  enrichmentPct: pct('enrichment_pct'),
}).as(
  sql`
    SELECT
      count(*) AS total_horses,
      count(*) FILTER (WHERE enrichment_status IN ('racecard', 'enriched')) AS enriched_horses,
      count(*) FILTER (WHERE enrichment_status = 'racecard') AS from_racecard,
      count(*) FILTER (WHERE enrichment_status = 'enriched') AS from_api,
      count(*) FILTER (WHERE enrichment_status IS NULL OR enrichment_status NOT IN ('racecard', 'enriched'))
        AS not_enriched,
      coalesce(round(100.0 * count(*) FILTER (WHERE enrichment_status IN ('racecard', 'enriched'))
        / nullif(count(*), 0), 2), 0) AS enrichment_pct
    FROM ra_horses
  `,
);

// Racecard odds per race year: runners on a fetched card, and how many have at least one bookmaker's price.
export const vOddsCoverageByYear = pgView('v_odds_coverage_by_year', {
  year: integer('year'),
  racecardRunners: bigint('racecard_runners', { mode: 'number' }),
  runnersWithOdds: bigint('runners_with_odds', { mode: 'number' }),
  oddsRows: bigint('odds_rows', { mode: 'number' }),
  coveragePct: pct('coverage_pct'),
}).as(
  sql`
    WITH per_runner AS (
      SELECT extract(year FROM r.date)::integer AS year,
             (SELECT count(*) FROM ra_runner_odds o WHERE o.race_id = u.race_id AND o.horse_id = u.horse_id) AS odds
      FROM ra_mst_runners u
      JOIN ra_mst_races r ON r.id = u.race_id
      WHERE r.racecard_fetched_at IS NOT NULL
    )
    SELECT
      year,
      count(*) AS racecard_runners,
      count(*) FILTER (WHERE odds > 0) AS runners_with_odds,
      sum(odds)::bigint AS odds_rows,
      round(100.0 * count(*) FILTER (WHERE odds > 0) / count(*), 2) AS coverage_pct
    FROM per_runner
    GROUP BY year
    ORDER BY year DESC
  `,
);

// Betfair SP per race year: finishers and non-finishers of loaded results, and how many have a BSP.
export const vBspCoverageByYear = pgView('v_bsp_coverage_by_year', {
  year: integer('year'),
  resultRunners: bigint('result_runners', { mode: 'number' }),
  runnersWithBsp: bigint('runners_with_bsp', { mode: 'number' }),
  coveragePct: pct('coverage_pct'),
}).as(
  sql`
    SELECT
      extract(year FROM r.date)::integer AS year,
      count(*) AS result_runners,
      count(u.bsp) AS runners_with_bsp,
      round(100.0 * count(u.bsp) / count(*), 2) AS coverage_pct
    FROM ra_mst_runners u
    JOIN ra_mst_races r ON r.id = u.race_id
    WHERE u.position IS NOT NULL
    GROUP BY 1
    ORDER BY 1 DESC
  `,
);

export const vPedigreeCoverage = pgView('v_pedigree_coverage', {
  totalHorses: bigint('total_horses', { mode: 'number' }),
  horsesWithPedigree: bigint('horses_with_pedigree', { mode: 'number' }),
  pedigreeCoveragePct: pct('pedigree_coverage_pct'),
}).as(
  sql`
    SELECT
      count(*) AS total_horses,
      count(p.horse_id) AS horses_with_pedigree,
      coalesce(round(100.0 * count(p.horse_id) / nullif(count(*), 0), 2), 0) AS pedigree_coverage_pct
    FROM ra_horses h
    LEFT JOIN ra_horse_pedigree p ON p.horse_id = h.id
  `,
);

export const vEntityCounts = pgView('v_entity_counts', {
  entityType: text('entity_type'),
  totalCount: bigint('total_count', { mode: 'number' }),
}).as(
  sql`
              SELECT 'jockeys'::text AS entity_type, count(*) AS total_count FROM ra_jockeys
    UNION ALL SELECT 'trainers', count(*) FROM ra_trainers
    UNION ALL SELECT 'owners', count(*) FROM ra_owners
    UNION ALL SELECT 'horses', count(*) FROM ra_horses
    UNION ALL SELECT 'pedigrees', count(*) FROM ra_horse_pedigree
    UNION ALL SELECT 'courses', count(*) FROM ra_courses
    UNION ALL SELECT 'races', count(*) FROM ra_mst_races
    UNION ALL SELECT 'runners', count(*) FROM ra_mst_runners
  `,
);

// Runners whose horse or race is missing, or whose jockey, trainer or owner is (those three have no foreign
// key: the loader writes them with the runner, in the same transaction; this view proves it).
export const vOrphanedRunners = pgView('v_orphaned_runners', {
  runnerId: bigint('runner_id', { mode: 'number' }),
  raceId: text('race_id'),
  horseId: text('horse_id'),
  missing: text('missing'),
}).as(
  sql`
    SELECT
      run.id AS runner_id,
      run.race_id,
      run.horse_id,
      concat_ws(' and ',
        CASE WHEN h.id IS NULL THEN 'horse' END,
        CASE WHEN r.id IS NULL THEN 'race' END,
        CASE WHEN run.jockey_id IS NOT NULL AND j.id IS NULL THEN 'jockey' END,
        CASE WHEN run.trainer_id IS NOT NULL AND t.id IS NULL THEN 'trainer' END,
        CASE WHEN run.owner_id IS NOT NULL AND o.id IS NULL THEN 'owner' END) AS missing
    FROM ra_mst_runners run
    LEFT JOIN ra_horses h ON h.id = run.horse_id
    LEFT JOIN ra_mst_races r ON r.id = run.race_id
    LEFT JOIN ra_jockeys j ON j.id = run.jockey_id
    LEFT JOIN ra_trainers t ON t.id = run.trainer_id
    LEFT JOIN ra_owners o ON o.id = run.owner_id
    WHERE h.id IS NULL OR r.id IS NULL
       OR (run.jockey_id IS NOT NULL AND j.id IS NULL)
       OR (run.trainer_id IS NOT NULL AND t.id IS NULL)
       OR (run.owner_id IS NOT NULL AND o.id IS NULL)
  `,
);

// NULL L1 back sizes per role over every snapshot (a snapshot without a derived row counts as NULL in each
// column, so orphans are not hidden). fillable: the raw ladder has a valid L1 for that role's selection id,
// so a backfill can fill it; expected: it has not (or the market has no role mapping). Only derived rows with
// a NULL L1 size (market_derived_metrics_l1_null_idx) and snapshots without a derived row are read, each
// derived once; OFFSET 0 keeps the derivation after the join, once per NULL row rather than per snapshot.
export const vL1NullCounts = pgView('v_l1_null_counts', {
  columnName: text('column_name'),
  nullCount: bigint('null_count', { mode: 'number' }),
  totalRows: bigint('total_rows', { mode: 'number' }),
  pctNull: pct('pct_null'),
  nullCount7d: bigint('null_count_7d', { mode: 'number' }),
  fillable: bigint('fillable', { mode: 'number' }),
  expected: bigint('expected', { mode: 'number' }),
}).as(
  sql`
    WITH null_rows AS (
      SELECT d.snapshot_id, d.home_best_back_size_l1 AS home, d.away_best_back_size_l1 AS away,
             d.draw_best_back_size_l1 AS draw
      FROM market_derived_metrics d
      WHERE d.home_best_back_size_l1 IS NULL OR d.away_best_back_size_l1 IS NULL OR d.draw_best_back_size_l1 IS NULL
      UNION ALL
      SELECT s.snapshot_id, NULL, NULL, NULL
      FROM market_book_snapshots s
      WHERE NOT EXISTS (SELECT FROM market_derived_metrics d WHERE d.snapshot_id = s.snapshot_id)
    ),
    derived AS (
      SELECT n.home, n.away, n.draw, s.snapshot_at,
        derive_ladder_metrics(s.raw_payload, e.home_selection_id, e.away_selection_id, e.draw_selection_id) AS m
      FROM null_rows n
      JOIN market_book_snapshots s ON s.snapshot_id = n.snapshot_id
      LEFT JOIN market_event_metadata e ON e.market_id = s.market_id
      OFFSET 0
    ),
    cells AS (
      SELECT c.column_name, c.value, c.raw_value, x.snapshot_at
      FROM derived x
      CROSS JOIN LATERAL (VALUES
        ('home_best_back_size_l1', x.home, (x.m).home_best_back_size_l1),
        ('away_best_back_size_l1', x.away, (x.m).away_best_back_size_l1),
        ('draw_best_back_size_l1', x.draw, (x.m).draw_best_back_size_l1)
      ) AS c(column_name, value, raw_value)
    ),
    counted AS (
      SELECT
        column_name,
        count(*) FILTER (WHERE value IS NULL) AS null_count,
        count(*) FILTER (WHERE value IS NULL AND snapshot_at >= now() - interval '7 days') AS null_count_7d,
        count(*) FILTER (WHERE value IS NULL AND raw_value IS NOT NULL) AS fillable
      FROM cells
      GROUP BY column_name
    ),
    total AS (
      SELECT count(*) AS total_rows FROM market_book_snapshots
    )
    SELECT
      col.column_name,
      coalesce(k.null_count, 0) AS null_count,
      t.total_rows,
      coalesce(round(100.0 * k.null_count / nullif(t.total_rows, 0), 2), 0) AS pct_null,
      coalesce(k.null_count_7d, 0) AS null_count_7d,
      coalesce(k.fillable, 0) AS fillable,
      coalesce(k.null_count - k.fillable, 0) AS expected
    FROM (VALUES (1, 'home_best_back_size_l1'), (2, 'away_best_back_size_l1'), (3, 'draw_best_back_size_l1'))
      AS col(ord, column_name)
    CROSS JOIN total t
    LEFT JOIN counted k USING (column_name)
    ORDER BY col.ord
  `,
);

// Backfill progress per source. Dates come from fetch_state (one row per queued source and date); enrichment
// counts horses. not_in_plan: dates the account's plan does not include (neither done nor failed). The ETA
// assumes the configured rate (rate_limit_slots; 2 requests/second when no worker has configured one yet),
// summed over the accounts (with several, each has its own buckets 'racing_api@<id>[:<endpoint>]'; only the
// scheme of the most recently used bucket counts, so buckets left from a former single-account setup do not),
// and, for dates, the average pages per finished date.
export const vBackfillProgress = pgView('v_backfill_progress', {
  source: text('source'),
  unit: text('unit'),
  total: bigint('total', { mode: 'number' }),
  done: bigint('done', { mode: 'number' }),
  failed: bigint('failed', { mode: 'number' }),
  pending: bigint('pending', { mode: 'number' }),
  notInPlan: bigint('not_in_plan', { mode: 'number' }),
  requestsLastHour: bigint('requests_last_hour', { mode: 'number' }),
  requestsRemaining: bigint('requests_remaining', { mode: 'number' }),
  ratePerSec: doublePrecision('rate_per_sec'),
  eta: interval('eta'),
}).as(
  sql`
    WITH dates AS (
      SELECT
        src.source,
        count(f.date) AS total,
        count(*) FILTER (WHERE f.status IN ('done', 'outside_window')) AS done,
        count(*) FILTER (WHERE f.status = 'failed') AS failed,
        count(*) FILTER (WHERE f.status = 'pending') AS pending,
        count(*) FILTER (WHERE f.status = 'not_in_plan') AS not_in_plan,
        coalesce(avg(f.pages) FILTER (WHERE f.status = 'done' AND f.pages > 0), 1) AS pages_per_date
      FROM (VALUES ('racecards'), ('results')) AS src(source)
      LEFT JOIN fetch_state f ON f.source = src.source
      GROUP BY src.source
    ),
    horses AS (
      SELECT
        'horses'::text AS source,
        count(*) AS total,
        count(*) FILTER (WHERE enrichment_status IN ('racecard', 'enriched')) AS done,
        count(*) FILTER (WHERE enrichment_status = 'not_available') AS failed,
        count(*) FILTER (WHERE enrichment_status IS NULL) AS pending,
        0::bigint AS not_in_plan,
        1::numeric AS pages_per_date
      FROM ra_horses
    ),
    sources AS (
      SELECT source, 'dates'::text AS unit, total, done, failed, pending, not_in_plan, pages_per_date FROM dates
      UNION ALL
      SELECT source, 'horses', total, done, failed, pending, not_in_plan, pages_per_date FROM horses
    ),
    buckets AS (
      SELECT
        substring(b.key FROM '^racing_api(@[^:]*)?') AS account,
        substring(b.key FROM ':(.*)$') AS endpoint,
        b.interval_ms
      FROM rate_limit_slots b
      WHERE b.key ~ '^racing_api(@[^:]+)?(:[a-z]+)?$'
        AND (b.key LIKE 'racing_api@%') = (
          SELECT l.key LIKE 'racing_api@%' FROM rate_limit_slots l
          WHERE l.key ~ '^racing_api(@[^:]+)?(:[a-z]+)?$'
          ORDER BY l.updated_at DESC NULLS LAST, l.key LIMIT 1)
    ),
    rates AS (
      SELECT
        s.source,
        coalesce(
          (SELECT sum(1000.0 / coalesce(
                    (SELECT e.interval_ms FROM buckets e
                      WHERE e.account IS NOT DISTINCT FROM a.account AND e.endpoint = s.source),
                    (SELECT w.interval_ms FROM buckets w
                      WHERE w.account IS NOT DISTINCT FROM a.account AND w.endpoint IS NULL)))
             FROM (SELECT DISTINCT account FROM buckets) a),
          2.0
        ) AS rate_per_sec
      FROM sources s
    )
    SELECT
      s.source,
      s.unit,
      s.total,
      s.done,
      s.failed,
      s.pending,
      s.not_in_plan,
      (SELECT count(*) FROM api_requests a
        WHERE a.endpoint = s.source AND a.requested_at >= now() - interval '1 hour') AS requests_last_hour,
      ceil(s.pending * s.pages_per_date)::bigint AS requests_remaining,
      round(r.rate_per_sec::numeric, 3)::double precision AS rate_per_sec,
      make_interval(secs => ceil(s.pending * s.pages_per_date) / r.rate_per_sec) AS eta
    FROM sources s
    JOIN rates r USING (source)
    ORDER BY s.source
  `,
);

// ---- Betfair stream markets linked to the races (src/betfair/link.ts) ----

// Horse-racing markets per year of their scheduled off: how many are linked to a race, and why the rest
// are not (reasons written by betfair_link_markets(); not_attempted: no link run has seen the market yet).
export const vBetfairLinkCoverage = pgView('v_betfair_link_coverage', {
  year: integer('year'),
  markets: bigint('markets', { mode: 'number' }),
  linked: bigint('linked', { mode: 'number' }),
  linkedPct: pct('linked_pct'),
  runnersLinked: bigint('runners_linked', { mode: 'number' }),
  unlinkedNoRacingData: bigint('unlinked_no_racing_data', { mode: 'number' }),
  unlinkedNoCourse: bigint('unlinked_no_course', { mode: 'number' }),
  unlinkedNoRaceNearOff: bigint('unlinked_no_race_near_off', { mode: 'number' }),
  unlinkedAmbiguous: bigint('unlinked_ambiguous', { mode: 'number' }),
  notAttempted: bigint('not_attempted', { mode: 'number' }),
}).as(
  sql`
    SELECT
      extract(year FROM m.market_time)::integer AS year,
      count(*) AS markets,
      count(l.race_id) AS linked,
      round(100.0 * count(l.race_id) / count(*), 2) AS linked_pct,
      coalesce(sum((SELECT count(*) FROM betfair_runner_horses h WHERE h.market_id = m.market_id)), 0)::bigint
        AS runners_linked,
      count(*) FILTER (WHERE l.reason = 'no_racing_data') AS unlinked_no_racing_data,
      count(*) FILTER (WHERE l.reason = 'no_course') AS unlinked_no_course,
      count(*) FILTER (WHERE l.reason = 'no_race_near_off') AS unlinked_no_race_near_off,
      count(*) FILTER (WHERE l.reason = 'ambiguous') AS unlinked_ambiguous,
      count(*) FILTER (WHERE l.market_id IS NULL) AS not_attempted
    FROM betfair_markets m
    LEFT JOIN betfair_market_races l ON l.market_id = m.market_id
    WHERE m.event_type_id = '7'
    GROUP BY 1
    ORDER BY 1 DESC
  `,
);

// The stream's BSP next to the results' bsp for linked runners where both exist. The results column is
// read through to_jsonb() so the view does not depend on ra_mst_runners having a bsp column yet.
export const vBetfairBspComparison = pgView('v_betfair_bsp_comparison', {
  marketId: text('market_id'),
  selectionId: bigint('selection_id', { mode: 'number' }),
  raceId: text('race_id'),
  horseId: text('horse_id'),
  horseName: text('horse_name'),
  streamBsp: doublePrecision('stream_bsp'),
  resultsBsp: doublePrecision('results_bsp'),
  difference: doublePrecision('difference'),
}).as(
  sql`
    SELECT h.market_id, h.selection_id, h.race_id, h.horse_id, run.horse_name,
      mr.bsp AS stream_bsp, b.results_bsp, mr.bsp - b.results_bsp AS difference
    FROM betfair_runner_horses h
    JOIN market_runners mr ON mr.market_id = h.market_id AND mr.selection_id = h.selection_id
    JOIN ra_mst_runners run ON run.id = h.runner_id
    CROSS JOIN LATERAL (SELECT ladder_finite(to_jsonb(run) -> 'bsp') AS results_bsp) b
    WHERE mr.bsp IS NOT NULL AND b.results_bsp IS NOT NULL
  `,
);
