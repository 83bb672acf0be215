import { describe, expect, test } from 'vitest';
import { METRIC_COLUMNS } from '../../src/betfair/metrics.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { AWAY, book, DRAW, HOME, lv, reportBook, runner } from '../helpers/ladder.ts';

const db = useTestDatabase();

type Metrics = Record<string, number | null>;

/** derive_ladder_metrics() on a payload given as jsonb (or as a JSON string stored in jsonb). */
async function derive(raw: unknown, ids: (number | null)[] = [HOME, AWAY, DRAW], asString = false) {
  const json = asString ? JSON.stringify(JSON.stringify(raw)) : JSON.stringify(raw);
  const [row] = await db.sql.unsafe(
    'select m.* from derive_ladder_metrics($1::text::jsonb, $2::bigint, $3::bigint, $4::bigint) m',
    [json, ...ids],
  );
  return row as Metrics;
}

function noZeros(m: Metrics) {
  for (const c of METRIC_COLUMNS) expect(m[c], c).not.toBe(0);
}

describe('derive_ladder_metrics on REST ladders', () => {
  test('the report book: L1, lay L1, L2 and L3 per role, matched by selectionId', async () => {
    const m = await derive(reportBook());
    expect(m).toMatchObject({
      total_volume: 48213.55,
      home_best_back: 10.5,
      home_best_back_size_l1: 21.53,
      home_best_lay: 11.0,
      home_best_lay_size_l1: 56.1,
      home_back_odds_l2: 10.0,
      home_back_size_l2: 343.34,
      home_back_odds_l3: 9.8,
      home_back_size_l3: 120.0,
      away_best_back_size_l1: 164.01,
      away_back_odds_l2: 1.49,
      away_back_size_l2: 3345.92,
      away_back_odds_l3: null,
      away_back_size_l3: null,
      draw_best_back_size_l1: 614.0,
      draw_best_lay_size_l1: 205.0,
      draw_back_odds_l2: 4.0,
      draw_back_size_l2: 1876.42,
    });
  });

  test('runner order does not matter: roles come from selection ids, never array positions', async () => {
    const b = reportBook();
    b.runners = [...(b.runners as unknown[])].reverse();
    expect(await derive(b)).toEqual(await derive(reportBook()));
  });

  test('empty ladders and a runner without ex: NULL, never 0', async () => {
    const m = await derive(
      book('1.2', [
        runner(HOME, [], []),
        { selectionId: AWAY, status: 'ACTIVE' },
        runner(DRAW, [lv(4.1, 614)]),
      ]),
    );
    expect(m.home_best_back_size_l1).toBeNull();
    expect(m.home_best_lay).toBeNull();
    expect(m.away_best_back).toBeNull();
    expect(m.draw_best_back_size_l1).toBe(614);
    expect(m.draw_best_lay_size_l1).toBeNull();
    noZeros(m);
  });

  test('fewer than three levels: L1 and L2 filled, L3 NULL', async () => {
    const m = await derive(book('1.2', [runner(HOME, [lv(2.0, 5), lv(1.98, 7)]), runner(AWAY, [lv(3, 1)])]));
    expect(m).toMatchObject({
      home_best_back_size_l1: 5,
      home_back_size_l2: 7,
      home_back_odds_l3: null,
      home_back_size_l3: null,
      away_best_back_size_l1: 1,
      away_back_size_l2: null,
      draw_best_back: null,
    });
  });

  test('a REMOVED runner gives NULLs for its role even with stale levels; "NaN" strings are absent', async () => {
    const removed = runner(HOME, [lv(21.0, 2.5)], [], {
      status: 'REMOVED',
      removalDate: '2026-02-14T12:00:00.000Z',
      sp: { actualSP: 'NaN' },
    });
    const m = await derive(
      book('1.2', [
        removed,
        runner(AWAY, [lv('NaN', 10), lv(1.4, 'NaN')]),
        runner(DRAW, [lv('4.1', '614.5')]),
      ]),
    );
    expect(m.home_best_back).toBeNull();
    expect(m.home_best_back_size_l1).toBeNull();
    expect(m.away_best_back_size_l1).toBeNull();
    expect(m.away_back_size_l2).toBeNull();
    // Numeric strings are numbers; "Infinity" and "NaN" are not.
    expect(m.draw_best_back).toBe(4.1);
    expect(m.draw_best_back_size_l1).toBe(614.5);
    const inf = await derive(book('1.2', [runner(HOME, [lv(2, 'Infinity')])]));
    expect(inf.home_best_back_size_l1).toBeNull();
  });

  test('size 0 and price <= 1 are invalid levels (the SUSPENDED fixture has {price:40, size:0})', async () => {
    const m = await derive(
      book(
        '1.2',
        [runner(HOME, [lv(40.0, 0.0), lv(38, 3)]), runner(AWAY, [lv(1.0, 50)]), runner(DRAW, [lv(-2, 5)])],
        {
          status: 'SUSPENDED',
          inplay: true,
        },
      ),
    );
    expect(m.home_best_back_size_l1).toBeNull();
    expect(m.home_best_back).toBeNull();
    expect(m.home_back_size_l2).toBe(3); // level 2 is still level 2: no shifting
    expect(m.away_best_back_size_l1).toBeNull();
    expect(m.draw_best_back_size_l1).toBeNull();
    noZeros(m);
  });

  test('a crossed, suspended book is derived as it is (back 1000 against lay 1.14), not "fixed"', async () => {
    const m = await derive(
      book('1.2', [runner(HOME, [lv(1000, 2.0)], [lv(1.14, 30)]), runner(AWAY, [lv(7.4, 3)], [])], {
        status: 'SUSPENDED',
        inplay: true,
      }),
    );
    expect(m.home_best_back).toBe(1000);
    expect(m.home_best_lay).toBe(1.14);
    expect(m.away_best_lay).toBeNull();
  });

  test('legacy shapes: [price, size] arrays, payload stored as a JSON string, "Runners", string selectionId', async () => {
    const expected = await derive(reportBook());
    const asArrays = reportBook();
    asArrays.runners = (asArrays.runners as { ex: Record<string, { price: number; size: number }[]> }[]).map(
      (r) => ({
        ...r,
        ex: Object.fromEntries(Object.entries(r.ex).map(([k, v]) => [k, v.map((l) => [l.price, l.size])])),
      }),
    );
    expect(await derive(asArrays)).toEqual(expected);
    expect(await derive(reportBook(), undefined, true)).toEqual(expected);
    const capital = reportBook();
    capital.Runners = capital.runners;
    delete capital.runners;
    expect(await derive(capital)).toEqual(expected);
    const stringIds = reportBook();
    stringIds.runners = (stringIds.runners as { selectionId: number }[]).map((r) => ({
      ...r,
      selectionId: String(r.selectionId),
    }));
    expect(await derive(stringIds)).toEqual(expected);
  });

  test('no role mapping: roles NULL, total volume still derived; garbage payloads give NULLs, not errors', async () => {
    const m = await derive(reportBook(), [null, null, null]);
    expect(m.total_volume).toBe(48213.55);
    expect(m.home_best_back).toBeNull();
    for (const raw of ['not json', 42, null, [], { runners: 'x' }, { runners: [1, 'a', null] }]) {
      const r = await derive(raw);
      expect(r.home_best_back_size_l1).toBeNull();
    }
    expect((await derive('{"runners": [', undefined, true)).total_volume).toBeNull();
    const [tiny] =
      await db.sql`select ladder_finite('1e-400'::jsonb) as n, ladder_finite('"-1e999"'::jsonb) as s`;
    expect(tiny).toEqual({ n: null, s: null });
  });
});
