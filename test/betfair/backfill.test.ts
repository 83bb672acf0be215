import { beforeAll, describe, expect, test } from 'vitest';
import { runLadderBackfill } from '../../src/betfair/backfill.ts';
import { backfillParamsSchema } from '../../src/betfair/backfill-params.ts';
import { getRun } from '../../src/betfair/backfill-runs.ts';
import { L1_BACK_SIZE_COLUMNS, METRIC_COLUMNS } from '../../src/betfair/metrics.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { buildL1Scenario } from '../helpers/ladder.ts';

const db = useTestDatabase();
const L1 = [...L1_BACK_SIZE_COLUMNS];
const params = (p: Record<string, unknown>) => backfillParamsSchema.parse(p);

async function nullCounts() {
  const [row] = await db.sql`
    select count(*) filter (where home_best_back_size_l1 is null)::int as home,
           count(*) filter (where away_best_back_size_l1 is null)::int as away,
           count(*) filter (where draw_best_back_size_l1 is null)::int as draw,
           count(*)::int as total
    from market_derived_metrics`;
  return row;
}

async function view() {
  return db.sql`select column_name, null_count::int, total_rows::int, null_count_7d::int, fillable::int, expected::int
                from v_l1_null_counts`;
}

let unfillable = 0;

beforeAll(async () => {
  ({ unfillableSnapshotId: unfillable } = await buildL1Scenario(db.sql));
});

describe('the original report, rebuilt: 12,401 snapshots, 980 NULL L1 rows', () => {
  test('before: 980 NULLs per column, all in the last 7 days; the view separates fillable from expected', async () => {
    expect(await nullCounts()).toEqual({ home: 980, away: 980, draw: 980, total: 12_401 });
    expect(await view()).toEqual([
      {
        column_name: 'home_best_back_size_l1',
        null_count: 980,
        total_rows: 12_401,
        null_count_7d: 980,
        fillable: 979,
        expected: 1,
      },
      {
        column_name: 'away_best_back_size_l1',
        null_count: 980,
        total_rows: 12_401,
        null_count_7d: 980,
        fillable: 980,
        expected: 0,
      },
      {
        column_name: 'draw_best_back_size_l1',
        null_count: 980,
        total_rows: 12_401,
        null_count_7d: 980,
        fillable: 980,
        expected: 0,
      },
    ]);
  });

  test('a dry run with limit 200 reports 200 rows and changes nothing', async () => {
    const run = await runLadderBackfill(
      db.sql,
      params({ dry_run: true, limit: 200, batch_size: 64, columns: L1 }),
    );
    expect(run).toMatchObject({ dry_run: true, status: 'done', scanned: 200, errors: 0 });
    expect(run.updated_by_column).toEqual({
      home_best_back_size_l1: 200,
      away_best_back_size_l1: 200,
      draw_best_back_size_l1: 200,
    });
    expect(await nullCounts()).toEqual({ home: 980, away: 980, draw: 980, total: 12_401 });
  });

  test('the full dry run counts exactly what the real run then changes; after: 1 / 0 / 0', async () => {
    const dry = await runLadderBackfill(db.sql, params({ dry_run: true, batch_size: 500, columns: L1 }));
    expect(await nullCounts()).toEqual({ home: 980, away: 980, draw: 980, total: 12_401 });
    const real = await runLadderBackfill(db.sql, params({ batch_size: 500, columns: L1 }));
    const summary = (r: typeof real) => ({
      scanned: r.scanned,
      created: r.derived_rows_created,
      updated: r.updated_by_column,
      skipped: r.skipped_by_reason,
      errors: r.errors,
    });
    expect(summary(dry)).toEqual(summary(real));
    expect(summary(real)).toEqual({
      scanned: 980,
      created: 0,
      updated: { home_best_back_size_l1: 979, away_best_back_size_l1: 980, draw_best_back_size_l1: 980 },
      skipped: { no_metadata: 0, no_runners: 0, nothing_to_fill: 0 },
      errors: 0,
    });
    expect(real.last_snapshot_id).toBe(12_401);
    expect(await nullCounts()).toEqual({ home: 1, away: 0, draw: 0, total: 12_401 });
    const [left] =
      await db.sql`select snapshot_id::int as id from market_derived_metrics where home_best_back_size_l1 is null`;
    expect(left?.id).toBe(unfillable);
    expect((await view()).map((r) => [r.column_name, r.null_count, r.fillable, r.expected])).toEqual([
      ['home_best_back_size_l1', 1, 0, 1],
      ['away_best_back_size_l1', 0, 0, 0],
      ['draw_best_back_size_l1', 0, 0, 0],
    ]);
    // The filled values are the raw ladder's L1, per role by selection id.
    const [wrong] = await db.sql`
      select count(*)::int as n from market_derived_metrics d
      join market_book_snapshots s using (snapshot_id)
      join market_event_metadata e on e.market_id = s.market_id
      cross join lateral derive_ladder_metrics(s.raw_payload, e.home_selection_id, e.away_selection_id, e.draw_selection_id) m
      where d.home_best_back_size_l1 is distinct from m.home_best_back_size_l1
         or d.away_best_back_size_l1 is distinct from m.away_best_back_size_l1
         or d.draw_best_back_size_l1 is distinct from m.draw_best_back_size_l1`;
    expect(wrong?.n).toBe(0);
  });

  test('a second run updates nothing; the unfillable row is scanned once and skipped as nothing_to_fill', async () => {
    const again = await runLadderBackfill(db.sql, params({ columns: L1 }));
    expect(again.scanned).toBe(1);
    expect(Object.values(again.updated_by_column)).toEqual([0, 0, 0]);
    expect(again.skipped_by_reason).toEqual({ no_metadata: 0, no_runners: 0, nothing_to_fill: 1 });
  });

  test('all columns: NULLs that the raw ladder cannot fill (L3 of 2-level ladders) are scanned, never changed', async () => {
    const since = '2026-01-15T00:00:00Z';
    const snapshot = () => db.sql`
      select * from market_derived_metrics where snapshot_at >= ${since} order by snapshot_id`;
    const before = await snapshot();
    const run = await runLadderBackfill(db.sql, params({ batch_size: 2000, since }));
    expect(Object.keys(run.updated_by_column).sort()).toEqual([...METRIC_COLUMNS].sort());
    expect(Object.values(run.updated_by_column).every((n) => n === 0)).toBe(true);
    expect(run.scanned).toBeGreaterThan(before.length / 2); // two thirds of home ladders have no L3
    expect(run.skipped_by_reason.nothing_to_fill).toBe(run.scanned);
    const strip = (rows: typeof before) => rows.map(({ derived_at: _d, ...rest }) => rest);
    expect(strip(await snapshot())).toEqual(strip(before));
  });
});

describe('orphans, missing metadata, errors and resume', () => {
  test('snapshots without a derived row get one; markets without metadata are skipped as no_metadata', async () => {
    await db.sql`
      insert into market_book_snapshots (snapshot_id, market_id, snapshot_at, raw_payload)
      select 20000 + i, '1.253489253', timestamptz '2026-02-14 17:51:58.46679+00' + i * interval '1 minute', raw_payload
      from market_book_snapshots, generate_series(1, 3) i where snapshot_id = 12319`; // a book of market 1
    await db.sql`
      insert into market_book_snapshots (snapshot_id, market_id, snapshot_at, raw_payload)
      values (20010, '1.999', now(), '{"marketId":"1.999","runners":[]}'),
             (20011, '1.253489254', now(), '{"marketId":"1.253489254","runners":[{"selectionId":3000004}]}')`;
    // 1.253489253 has metadata (market 1 of the scenario); 1.999 has none.
    const dry = await runLadderBackfill(db.sql, params({ dry_run: true, columns: L1 }));
    const real = await runLadderBackfill(db.sql, params({ columns: L1 }));
    for (const run of [dry, real]) {
      expect(run.scanned).toBe(6); // 3 orphans + the two new books + the unfillable row
      expect(run.derived_rows_created).toBe(5);
      expect(run.updated_by_column).toEqual({
        home_best_back_size_l1: 3,
        away_best_back_size_l1: 3,
        draw_best_back_size_l1: 3,
      });
      expect(run.skipped_by_reason).toEqual({ no_metadata: 0, no_runners: 0, nothing_to_fill: 1 });
    }
    const [orphans] = await db.sql`
      select count(*)::int as n from market_book_snapshots s
      left join market_derived_metrics d using (snapshot_id) where d.snapshot_id is null`;
    expect(orphans?.n).toBe(0);
    // Rows created empty are candidates again; without metadata or runners they say why.
    const third = await runLadderBackfill(db.sql, params({ columns: L1, since: '2026-02-14T00:00:00Z' }));
    expect(third.skipped_by_reason).toEqual({ no_metadata: 1, no_runners: 1, nothing_to_fill: 1 });
  });

  test('since/until select by snapshot_at (until exclusive)', async () => {
    await db.sql`update market_derived_metrics set draw_best_back_size_l1 = null where snapshot_id in (100, 200, 20001)`;
    const [at] = await db.sql`select snapshot_at from market_book_snapshots where snapshot_id = 200`;
    const run = await runLadderBackfill(
      db.sql,
      params({ columns: ['draw_best_back_size_l1'], until: (at!.snapshot_at as Date).toISOString() }),
    );
    expect(run.updated_by_column).toEqual({ draw_best_back_size_l1: 1 });
    const rest = await runLadderBackfill(db.sql, params({ columns: ['draw_best_back_size_l1'] }));
    expect(rest.updated_by_column).toEqual({ draw_best_back_size_l1: 2 });
  });

  test('a snapshot failing on its data (SQLSTATE class 22) is isolated and counted as an error; the rest of its batch is filled', async () => {
    await db.sql`update market_derived_metrics set away_best_back_size_l1 = null where snapshot_id between 300 and 309`;
    await db.sql.unsafe(`
      create function fail_305() returns trigger language plpgsql as $$
      begin
        if new.snapshot_id = 305 then
          raise exception 'simulated failure for 305' using errcode = 'numeric_value_out_of_range';
        end if;
        return new;
      end $$;
      create trigger fail_305 before update on market_derived_metrics for each row execute function fail_305();`);
    try {
      const run = await runLadderBackfill(db.sql, params({ columns: ['away_best_back_size_l1'] }));
      expect(run.status).toBe('done');
      expect(run.errors).toBe(1);
      expect(run.last_error).toBe('snapshot 305: simulated failure for 305');
      expect(run.updated_by_column).toEqual({ away_best_back_size_l1: 9 });
    } finally {
      await db.sql.unsafe('drop trigger fail_305 on market_derived_metrics; drop function fail_305();');
    }
  });

  test('a run stopped after its first batch resumes from last_snapshot_id without counting twice', async () => {
    await db.sql`update market_derived_metrics set home_best_back_size_l1 = null where snapshot_id between 1000 and 1999`;
    const homeNulls = (await nullCounts())!.home;
    const stop = new AbortController();
    const first = runLadderBackfill(
      db.sql,
      params({ columns: ['home_best_back_size_l1'], batch_size: 300 }),
      {
        signal: stop.signal,
        onBatch: () => stop.abort(new Error('worker shutting down')),
      },
    );
    await expect(first).rejects.toThrow('worker shutting down');
    const [row] = await db.sql`select id::int from ladder_backfill_runs order by id desc limit 1`;
    const stopped = await getRun(db.sql, row!.id);
    expect(stopped).toMatchObject({ status: 'failed', scanned: 300, last_error: 'worker shutting down' });
    expect(stopped?.updated_by_column).toEqual({ home_best_back_size_l1: 300 });
    // The resumed run keeps the stored parameters: only run_id is needed.
    const resumed = await runLadderBackfill(db.sql, params({ run_id: row!.id }));
    expect(resumed.status).toBe('done');
    expect(resumed.updated_by_column).toEqual({ home_best_back_size_l1: 1000 });
    expect(resumed.scanned).toBe(homeNulls); // each candidate once, across the stop
    expect((await nullCounts())?.home).toBe(homeNulls - 1000);
  });
});
