import { expect, test } from 'vitest';
import { loadCoverage } from '../../src/report/coverage.ts';
import { renderReportHtml } from '../../src/report/html.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { rowCells } from './html-table.ts';

const db = useTestDatabase();

const NEWEST = '2026-03-02T06:00:30.000Z';
const HOSTILE = `<script>alert("x")</script> & 'q'`;

// Runs first, while this file's database is still empty (tests in a file run in order).
test('an empty database gives zeros and a report that says there is no data', async () => {
  const coverage = await loadCoverage(db.sql);
  expect(coverage.years).toEqual([]);
  expect(coverage.enrichment).toEqual({
    totalHorses: 0,
    enrichedHorses: 0,
    notEnriched: 0,
    enrichmentPct: 0,
  });
  expect(coverage.requests).toMatchObject({
    windowStart: null,
    windowEnd: null,
    total: 0,
    minutes: [],
    perMinute: [],
  });
  expect(coverage.l1Nulls.map((c) => c.nullCount)).toEqual([0, 0, 0]);
  expect(coverage.ladderBackfillRuns).toEqual([]);
  const html = renderReportHtml(coverage);
  expect(html).not.toContain('<canvas');
  for (const note of [
    'No races yet.',
    'No horses yet.',
    'No API requests recorded yet.',
    'Nothing queued yet.',
  ]) {
    expect(html).toContain(note);
  }
});

test('known content gives the right numbers, and the HTML carries them', async () => {
  await insertKnownContent();
  const coverage = await loadCoverage(db.sql);

  // 2023: 4 races, 3 with runners (2 + 3 + 4): 75%, below target; average field 9 / 4 = 2.25 -> 2.3.
  expect(coverage.years).toEqual([
    {
      year: 2023,
      totalRaces: 4,
      racesWithRunners: 3,
      coveragePct: 75,
      totalRunners: 9,
      avgRunnersPerRace: 2.3,
      belowTarget: true,
    },
    {
      year: 2024,
      totalRaces: 2,
      racesWithRunners: 2,
      coveragePct: 100,
      totalRunners: 10,
      avgRunnersPerRace: 5,
      belowTarget: false,
    },
  ]);
  expect(coverage.enrichment).toEqual({
    totalHorses: 12,
    enrichedHorses: 9,
    notEnriched: 3,
    enrichmentPct: 75,
  });
  expect(coverage.pedigree).toEqual({ totalHorses: 12, horsesWithPedigree: 3, pedigreeCoveragePct: 25 });
  expect(coverage.entities.find((e) => e.entityType === 'runners')?.totalCount).toBe(19);
  expect(
    coverage.l1Nulls.map(({ columnName, nullCount, fillable, expected }) => [
      columnName,
      nullCount,
      fillable,
      expected,
    ]),
  ).toEqual([
    ['home_best_back_size_l1', 2, 2, 0],
    ['away_best_back_size_l1', 2, 1, 1],
    ['draw_best_back_size_l1', 2, 0, 2],
  ]);
  expect(coverage.ladderBackfillRuns).toMatchObject([
    { dryRun: false, status: 'failed', scanned: 7, updatedByColumn: { '<b>col</b>': 3 }, lastError: HOSTILE },
  ]);

  // The window is (newest - 24 h, newest]: the row exactly 24 h before and the 3-day-old row are out.
  const { requests } = coverage;
  expect(requests.windowEnd).toBe(NEWEST);
  expect(requests.windowStart).toBe('2026-03-01T06:00:30.000Z');
  expect(requests.total).toBe(5);
  expect(requests.byStatus).toEqual([
    { status: 200, count: 2 },
    { status: 404, count: 1 },
    { status: 429, count: 1 },
    { status: null, count: 1 },
  ]);
  expect(requests.peakPerMinute).toBe(3);
  // Every minute from the first request in the window (06:00 the day before) to the newest, gaps as 0.
  expect(requests.minutes).toHaveLength(24 * 60 + 1);
  expect(requests.minutes[0]).toBe('2026-03-01T06:00:00.000Z');
  expect(requests.minutes.at(-1)).toBe('2026-03-02T06:00:00.000Z');
  const series = (status: number | null) => requests.perMinute.find((s) => s.status === status)!.counts;
  expect(series(200).at(-1)).toBe(2);
  expect(series(429).at(-1)).toBe(1);
  expect(series(404)[0]).toBe(1);
  expect(series(null)[24 * 60 - 2]).toBe(1);
  for (const s of requests.perMinute) expect(s.counts).toHaveLength(24 * 60 + 1);
  expect(requests.perMinute.flatMap((s) => s.counts).reduce((a, b) => a + b)).toBe(5);

  expect(coverage.backfill.find((b) => b.source === 'results')).toMatchObject({
    total: 3,
    done: 1,
    failed: 1,
    pending: 1,
  });

  const html = renderReportHtml(coverage);
  expect(rowCells(html, '2023')).toEqual(['2023', '4', '3', '75% below 95%', '9', '2.3']);
  expect(html).toMatch(/<tr class="below-target"><td>2023<\/td>/);
  expect(rowCells(html, '2024')).toEqual(['2024', '2', '2', '100%', '10', '5']);
  expect(html).not.toMatch(/<tr class="below-target"><td>2024<\/td>/);
  expect(rowCells(html, 'Enriched (/horses/{id}/pro)')).toEqual([
    'Enriched (/horses/{id}/pro)',
    '12',
    '9',
    '3',
    '75%',
  ]);
  expect(rowCells(html, 'With pedigree')).toEqual(['With pedigree', '12', '3', '9', '25%']);
  expect(rowCells(html, 'away_best_back_size_l1')).toEqual([
    'away_best_back_size_l1',
    '2',
    '2',
    '100%',
    '1',
    '1',
    '0',
  ]);
  expect(rowCells(html, '429')).toEqual(['429', '1', '20%']);
  expect(rowCells(html, 'no response')).toEqual(['no response', '1', '20%']);
  expect(html).toContain('5 requests in the 24 hours ending at the newest request');
  expect(html).toContain('peak <strong>3</strong> per minute');
  expect(html).toContain('<canvas id="chart-requests"');
});

test('strings from the database are escaped in the HTML and cannot close the data script', async () => {
  const html = renderReportHtml(await loadCoverage(db.sql));
  expect(html).not.toContain(HOSTILE);
  expect(html).not.toContain('<b>col</b>');
  expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
  expect(html).toContain('&lt;b&gt;col&lt;/b&gt;: 3');
  // Only the report's own three script elements open, and the JSON keeps the text intact once parsed.
  expect(html.match(/<script/gi)).toHaveLength(3);
  const json = html.match(/<script type="application\/json" id="coverage-data">(.*?)<\/script>/s)![1]!;
  expect(JSON.parse(json).ladderBackfillRuns[0].lastError).toBe(HOSTILE);
});

async function insertKnownContent() {
  const sql = db.sql;
  await sql`insert into ra_courses (id, name) values ('crs_1', 'Ascot')`;
  // 12 horses: 9 enriched, 1 not available, 2 not tried; 3 with pedigree.
  await sql`
    insert into ra_horses (id, enrichment_status)
    select 'hrs_' || i, case when i <= 9 then 'enriched' when i = 10 then 'not_available' end
    from generate_series(1, 12) i`;
  await sql`insert into ra_horse_pedigree (horse_id) values ('hrs_1'), ('hrs_2'), ('hrs_3')`;
  await sql`
    insert into ra_mst_races (id, course_id, date) values
      ('rac_a', 'crs_1', '2023-01-05'), ('rac_b', 'crs_1', '2023-06-01'), ('rac_c', 'crs_1', '2023-07-01'),
      ('rac_d', 'crs_1', '2023-12-31'), ('rac_e', 'crs_1', '2024-02-01'), ('rac_f', 'crs_1', '2024-03-01')`;
  await sql`
    insert into ra_mst_runners (race_id, horse_id)
    select race, 'hrs_' || k
    from (values ('rac_a', 2), ('rac_b', 3), ('rac_c', 4), ('rac_e', 5), ('rac_f', 5)) r(race, n),
      generate_series(1, n) k`;

  await sql`
    insert into market_event_metadata (market_id, home_selection_id, away_selection_id, draw_selection_id)
    values ('1.1', 11, 22, 33)`;
  const level = (price: number, size: number) => ({ availableToBack: [{ price, size }] });
  // Snapshot 1: home has an L1, away an empty ladder, draw no runner. Snapshot 2: home and away have one,
  // draw only an invalid price (1.0). So NULLs are fillable for home 2, away 1, draw 0.
  await sql`
    insert into market_book_snapshots (market_id, snapshot_at, raw_payload) values
      ('1.1', '2026-03-01 10:00Z', ${sql.json({
        runners: [
          { selectionId: 11, ex: level(2, 10) },
          { selectionId: 22, ex: { availableToBack: [] } },
        ],
      })}),
      ('1.1', '2026-03-01 10:01Z', ${sql.json({
        runners: [
          { selectionId: 11, ex: level(2, 12) },
          { selectionId: 22, ex: level(3, 5) },
          { selectionId: 33, ex: level(1, 5) },
        ],
      })})`;
  // A derived row for the first snapshot only, all three L1 sizes NULL; the second has none (also NULL).
  await sql`
    insert into market_derived_metrics (snapshot_id, market_id, snapshot_at)
    select snapshot_id, market_id, snapshot_at from market_book_snapshots where snapshot_at = '2026-03-01 10:00Z'`;
  await sql`
    insert into ladder_backfill_runs (dry_run, params, status, scanned, updated_by_column, last_error)
    values (false, '{}', 'failed', 7, ${sql.json({ '<b>col</b>': 3 })}, ${HOSTILE})`;

  await sql`
    insert into api_requests (requested_at, endpoint, path, status, attempt)
    select ${NEWEST}::timestamptz - ago::interval, 'results', '/v1/results', status, 1
    from (values
      ('0 s', 200), ('10 s', 200), ('20 s', 429), ('2 min', null),
      ('24 hours', 500), ('23:59:59', 404), ('3 days', 200)
    ) r(ago, status)`;
  await sql`
    insert into fetch_state (source, date, status) values
      ('results', '2026-01-01', 'done'), ('results', '2026-01-02', 'failed'), ('results', '2026-01-03', 'pending')`;
}
