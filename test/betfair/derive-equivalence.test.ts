import { describe, expect, test } from 'vitest';
import { fillSql } from '../../src/betfair/backfill-sql.ts';
import { L1_BACK_COLUMNS, L1_BACK_SIZE_COLUMNS } from '../../src/betfair/metrics.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { AWAY, book, DRAW, HOME, lv, reportBook, runner } from '../helpers/ladder.ts';

// The single-pass derive_ladder_metrics() must give exactly what its first, per-field plpgsql version gave.
// That version is recreated here as pg_temp.derive_ladder_metrics_0003 (its body verbatim, calling the
// current ladder helpers) and both run on hand-written edge cases and on generated books.

const db = useTestDatabase();

const OLD_DERIVE = `
CREATE FUNCTION pg_temp.derive_ladder_metrics_0003(raw jsonb, home_id bigint, away_id bigint, draw_id bigint)
RETURNS ladder_metrics
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  book jsonb := raw;
  rs jsonb := ladder_runners(raw);
  h jsonb := ladder_runner(rs, home_id);
  a jsonb := ladder_runner(rs, away_id);
  d jsonb := ladder_runner(rs, draw_id);
  m ladder_metrics;
  lv record;
BEGIN
  IF jsonb_typeof(book) = 'string' THEN
    book := ladder_try_jsonb(book #>> '{}');
  END IF;
  IF jsonb_typeof(book) = 'object' THEN
    m.total_volume := ladder_finite(book -> 'totalMatched');
  END IF;
  lv := ladder_level(h, 'availableToBack', 0); m.home_best_back := lv.price; m.home_best_back_size_l1 := lv.size;
  lv := ladder_level(h, 'availableToLay', 0); m.home_best_lay := lv.price; m.home_best_lay_size_l1 := lv.size;
  lv := ladder_level(h, 'availableToBack', 1); m.home_back_odds_l2 := lv.price; m.home_back_size_l2 := lv.size;
  lv := ladder_level(h, 'availableToBack', 2); m.home_back_odds_l3 := lv.price; m.home_back_size_l3 := lv.size;
  lv := ladder_level(a, 'availableToBack', 0); m.away_best_back := lv.price; m.away_best_back_size_l1 := lv.size;
  lv := ladder_level(a, 'availableToLay', 0); m.away_best_lay := lv.price; m.away_best_lay_size_l1 := lv.size;
  lv := ladder_level(a, 'availableToBack', 1); m.away_back_odds_l2 := lv.price; m.away_back_size_l2 := lv.size;
  lv := ladder_level(a, 'availableToBack', 2); m.away_back_odds_l3 := lv.price; m.away_back_size_l3 := lv.size;
  lv := ladder_level(d, 'availableToBack', 0); m.draw_best_back := lv.price; m.draw_best_back_size_l1 := lv.size;
  lv := ladder_level(d, 'availableToLay', 0); m.draw_best_lay := lv.price; m.draw_best_lay_size_l1 := lv.size;
  lv := ladder_level(d, 'availableToBack', 1); m.draw_back_odds_l2 := lv.price; m.draw_back_size_l2 := lv.size;
  lv := ladder_level(d, 'availableToBack', 2); m.draw_back_odds_l3 := lv.price; m.draw_back_size_l3 := lv.size;
  RETURN m;
END
$$`;

interface Case {
  /** The raw payload as JSON text (text, so that numbers JavaScript cannot print survive). */
  raw: string;
  ids: (number | null)[];
}

const j = (v: unknown) => JSON.stringify(v);
const ROLE_IDS = [HOME, AWAY, DRAW];

/** Hand-written cases: every rule of the derivation and the odd inputs it has to survive. */
function edgeCases(): Case[] {
  const raws: string[] = [
    j(reportBook()),
    j(book('1.2', [...(reportBook().runners as Record<string, unknown>[])].reverse())),
    j(j(reportBook())), // payload stored as a JSON string
    j({ ...reportBook(), runners: undefined, Runners: reportBook().runners }),
    j({ ...reportBook(), runners: null, Runners: reportBook().runners }), // 'runners' wins even when null
    j({ ...reportBook(), runners: {} }),
    j({ ...reportBook(), runners: 'x' }),
    j({ totalMatched: 5 }),
    j({ totalMatched: 'NaN', runners: [] }),
    j({ totalMatched: ' 12.5 ', runners: [] }),
    j([reportBook()]),
    j('not json at all {'),
    j(j([1, 2])),
    j(7),
    'null',
    '{"totalMatched": 1e-400, "runners": []}',
    `{"totalMatched": 1${'0'.repeat(320)}, "runners": []}`,
    `{"totalMatched": 0.${'0'.repeat(310)}1, "runners": []}`,
    j(
      book('1.3', [
        runner(HOME, [lv(10.5, 0), lv(1.0, 5), lv(0.5, 5)], [lv('NaN', 3)]),
        runner(AWAY, [lv('Infinity', 5), lv('1e999', 5), lv(' 3.5 ', '7')]),
        runner(DRAW, [lv(null, 5), lv(2, null), lv(2, -1)], [lv(2, '1e2')]),
      ]),
    ),
    j(
      book('1.4', [
        runner(HOME, [
          [10.5, 21.53],
          [10, 343.34],
          [9.8, 120],
        ]),
        runner(AWAY, [[1.5], [1.49, 'x'], ['2', '3']], [[1.51, 410.7, 99]]),
        runner(DRAW, [5, '5', [], {}, null] as never[]),
      ]),
    ),
    j(
      book('1.5', [
        runner(HOME, [lv(4, 4)], [], { status: 'REMOVED', removalDate: '2026-01-01T00:00:00Z' }),
        runner(AWAY, [lv(4, 4)], [], { status: null }),
        runner(DRAW, [lv(4, 4)], [], { status: 'WINNER' }),
      ]),
    ),
    j(
      book('1.6', [
        { selectionId: String(HOME), ex: { availableToBack: [lv(3, 3)] } },
        { selectionId: ` ${AWAY} `, ex: { availableToBack: { 0: lv(3, 3) } } },
        { selectionId: `${DRAW}.0`, ex: { availableToBack: [{ 0: 3, 1: 3 }] } },
      ]),
    ),
    j(
      book('1.7', [
        { selectionId: 'NaN', ex: { availableToBack: [lv(3, 3)] } },
        { selectionId: HOME + 0.5, ex: { availableToBack: [lv(3, 3)] } },
        { selectionId: HOME, ex: { availableToBack: [lv(6, 6)] } },
        { selectionId: HOME, ex: { availableToBack: [lv(7, 7)] } }, // first match wins
        [HOME, 1],
        7,
        null,
        { selectionId: DRAW, ex: [] },
        { selectionId: AWAY, ex: { availableToBack: 'x', availableToLay: [lv(2, 2)] } },
      ] as never[]),
    ),
    j(book('1.8', [runner(HOME, [lv(2, 2)]), runner(HOME, [lv(3, 3)])])),
  ];
  const idSets: (number | null)[][] = [
    ROLE_IDS,
    [HOME, HOME, HOME],
    [null, AWAY, DRAW],
    [null, null, null],
    [DRAW, AWAY, HOME],
    [999, AWAY, null],
  ];
  return raws.flatMap((raw) => idSets.map((ids) => ({ raw, ids })));
}

/** A small deterministic PRNG (mulberry32), so a failure can be reproduced from the seed. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCases(count: number, seed: number): Case[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const num = () =>
    pick<unknown>([
      Math.round(rnd() * 1000) / 100,
      Math.round(rnd() * 100000) / 100,
      1,
      0,
      -2.5,
      1.01,
      null,
      'NaN',
      'Infinity',
      '-Infinity',
      String(Math.round(rnd() * 1000) / 100),
      ' 4.2 ',
      '1e999',
      '3e2',
      'x',
      true,
      {},
      [],
    ]);
  const level = () => {
    const r = rnd();
    if (r < 0.55) return { price: num(), size: num() };
    if (r < 0.8) return [num(), num()];
    if (r < 0.85) return { price: num() };
    if (r < 0.9) return [num()];
    return pick<unknown>([null, 5, '5', 'x', {}, []]);
  };
  const ladder = () =>
    rnd() < 0.9 ? Array.from({ length: Math.floor(rnd() * 5) }, level) : pick<unknown>([null, {}, 'x']);
  const selectionId = () =>
    pick<unknown>([
      HOME,
      AWAY,
      DRAW,
      HOME,
      AWAY,
      DRAW,
      String(HOME),
      ` ${AWAY}`,
      `${DRAW}.0`,
      42,
      null,
      'NaN',
      undefined,
    ]);
  const aRunner = () => {
    const r: Record<string, unknown> = { selectionId: selectionId(), handicap: 0 };
    const status = pick([undefined, 'ACTIVE', 'ACTIVE', 'ACTIVE', 'REMOVED', 'WINNER', null]);
    if (status !== undefined) r.status = status;
    if (rnd() < 0.95) {
      const ex: Record<string, unknown> = { tradedVolume: [] };
      if (rnd() < 0.95) ex.availableToBack = ladder();
      if (rnd() < 0.9) ex.availableToLay = ladder();
      r.ex = ex;
    }
    return r;
  };
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const runners = Array.from({ length: Math.floor(rnd() * 6) }, aRunner);
    const b: Record<string, unknown> = { marketId: `1.${i}`, status: 'OPEN', totalMatched: num() };
    b[rnd() < 0.9 ? 'runners' : 'Runners'] = runners;
    const asString = rnd() < 0.1;
    const ids = ROLE_IDS.map((id) => (rnd() < 0.05 ? null : rnd() < 0.05 ? 42 : id));
    cases.push({ raw: asString ? j(j(b)) : j(b), ids });
  }
  return cases;
}

/** Both derivations on every case in one statement; returns the cases whose results differ. */
async function differences(cases: Case[], swapOldIds = false) {
  // pg_temp lives in one session: create and use it on the same connection.
  return db.sql.begin(async (tx) => {
    await tx.unsafe(OLD_DERIVE);
    const oldIds = swapOldIds ? 'c.a, c.h, c.d' : 'c.h, c.a, c.d';
    const rows = await tx.unsafe(
      `SELECT c.n, c.raw, new::text AS new, old::text AS old
       FROM jsonb_to_recordset($1::text::jsonb) AS c(n int, raw text, h bigint, a bigint, d bigint)
       CROSS JOIN LATERAL (SELECT derive_ladder_metrics(c.raw::jsonb, c.h, c.a, c.d) AS new,
                                  pg_temp.derive_ladder_metrics_0003(c.raw::jsonb, ${oldIds}) AS old) x
       WHERE new IS DISTINCT FROM old OR new::text IS DISTINCT FROM old::text`,
      [j(cases.map((c, n) => ({ n, raw: c.raw, h: c.ids[0], a: c.ids[1], d: c.ids[2] })))],
    );
    await tx.unsafe('DROP FUNCTION pg_temp.derive_ladder_metrics_0003');
    return [...rows];
  });
}

// derive_ladder_back_l1() must give derive_ladder_metrics()'s level-1 back price and size
// of each role, field by field, and NULL in every other field.
const L1_FIELDS = ['home', 'away', 'draw'].flatMap((r) => [`${r}_best_back`, `${r}_best_back_size_l1`]);

async function l1Differences(cases: Case[]) {
  const same = L1_FIELDS.map(
    (col) =>
      `(l1).${col} IS NOT DISTINCT FROM (f).${col} AND (l1).${col}::text IS NOT DISTINCT FROM (f).${col}::text`,
  ).join(' AND ');
  const rows = await db.sql.unsafe(
    `SELECT c.n, c.raw, l1::text AS l1, f::text AS f
     FROM jsonb_to_recordset($1::text::jsonb) AS c(n int, raw text, h bigint, a bigint, d bigint)
     CROSS JOIN LATERAL (SELECT derive_ladder_back_l1(c.raw::jsonb, c.h, c.a, c.d) AS l1,
                                derive_ladder_metrics(c.raw::jsonb, c.h, c.a, c.d) AS f) x
     WHERE NOT (${same})
        OR EXISTS (SELECT FROM jsonb_each(to_jsonb(l1)) e(k, v) WHERE k <> ALL ($2::text[]) AND v <> 'null')`,
    [j(cases.map((c, n) => ({ n, raw: c.raw, h: c.ids[0], a: c.ids[1], d: c.ids[2] }))), L1_FIELDS],
  );
  return [...rows];
}

describe('derive_ladder_back_l1 equals derive_ladder_metrics on the level-1 back fields', () => {
  test('on every edge case, with several role id mappings', async () => {
    expect(await l1Differences(edgeCases())).toEqual([]);
  });

  test('on 3,000 generated books (seeded)', async () => {
    expect(await l1Differences(randomCases(3000, 20260214))).toEqual([]);
  });

  test('the backfill uses it only when every requested column is one of its six', () => {
    const fn = (cols: readonly string[]) => fillSql(cols).match(/derive_ladder_\w+/)?.[0];
    expect(fn(L1_BACK_SIZE_COLUMNS)).toBe('derive_ladder_back_l1');
    expect(fn(L1_BACK_COLUMNS)).toBe('derive_ladder_back_l1');
    expect(fn(['home_best_back', 'home_best_lay'])).toBe('derive_ladder_metrics');
    expect(fn(['total_volume'])).toBe('derive_ladder_metrics');
  });

  test('the comparison is not vacuous: filled where the full derivation fills, and a swap differs', async () => {
    const [row] = await db.sql.unsafe<{ l1: string }[]>(
      'SELECT derive_ladder_back_l1($1::text::jsonb, $2, $3, $4)::text AS l1',
      [j(reportBook()), ...ROLE_IDS],
    );
    expect(row?.l1).toContain('21.53');
    const swapped = await db.sql.unsafe(
      `SELECT 1 WHERE (derive_ladder_back_l1($1::text::jsonb, $3, $2, $4)).home_best_back_size_l1
                 IS DISTINCT FROM (derive_ladder_metrics($1::text::jsonb, $2, $3, $4)).home_best_back_size_l1`,
      [j(reportBook()), ...ROLE_IDS],
    );
    expect(swapped).toHaveLength(1);
  });
});

describe('single-pass derive_ladder_metrics equals the first plpgsql derivation', () => {
  test('on every edge case, with several role id mappings', async () => {
    const cases = edgeCases();
    expect(cases.length).toBeGreaterThan(100);
    expect(await differences(cases)).toEqual([]);
  });

  test('on 3,000 generated books (seeded)', async () => {
    expect(await differences(randomCases(3000, 20260214))).toEqual([]);
  });

  test('the comparison is not vacuous: home and away swapped on one side differ', async () => {
    const diff = await differences([{ raw: j(reportBook()), ids: ROLE_IDS }], true);
    expect(diff).toHaveLength(1);
    expect(diff[0]?.new).toContain('21.53');
  });
});
