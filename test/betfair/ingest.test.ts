import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { runLadderBackfill } from '../../src/betfair/backfill.ts';
import { backfillParamsSchema } from '../../src/betfair/backfill-params.ts';
import { catalogueToRow } from '../../src/betfair/catalogue.ts';
import { importMarketBookFile, ingestMarketBooks } from '../../src/betfair/market-books.ts';
import { METRIC_COLUMNS } from '../../src/betfair/metrics.ts';
import { drainQueue } from '../../src/worker.ts';
import { useTestDatabase } from '../helpers/db.ts';
import {
  AWAY,
  book,
  DRAW,
  HOME,
  insertMetadata,
  insertRawSnapshot,
  lv,
  reportBook,
  runner,
} from '../helpers/ladder.ts';

const db = useTestDatabase();
const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

async function cli(script: string, args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, script), ...args], {
      env: { ...process.env, DATABASE_URL: db.url },
      cwd: root,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const derivedCols = METRIC_COLUMNS.join(', ');

describe('ingest', () => {
  test('stores the raw payload as received with its derived row, idempotent on (market_id, snapshot_at)', async () => {
    await insertMetadata(db.sql, '1.253489253');
    const b = { ...reportBook(), snapshotAt: '2026-02-14T17:51:58.466790+00:00' };
    const first = await ingestMarketBooks(db.sql, [b]);
    expect(first).toEqual({ received: 1, inserted: 1, duplicates: 0, derived: 1, rejected: 0 });
    const again = await ingestMarketBooks(db.sql, [b, b]);
    expect(again).toEqual({ received: 2, inserted: 0, duplicates: 2, derived: 0, rejected: 0 });
    const [row] = await db.sql`
      select s.raw_payload, jsonb_typeof(s.raw_payload) as type, s.status, s.inplay, s.total_matched,
             to_char(s.snapshot_at at time zone 'UTC', 'HH24:MI:SS.US') as at,
             d.home_best_back_size_l1, d.away_best_back_size_l1, d.draw_best_back_size_l1, d.home_back_odds_l2
      from market_book_snapshots s join market_derived_metrics d using (snapshot_id)`;
    expect(row).toMatchObject({
      raw_payload: b,
      type: 'object',
      status: 'OPEN',
      inplay: false,
      total_matched: 48213.55,
      at: '17:51:58.466790',
      home_best_back_size_l1: 21.53,
      away_best_back_size_l1: 164.01,
      draw_best_back_size_l1: 614,
      home_back_odds_l2: 10,
    });
  });

  test('ingest derives exactly what the backfill derives from the same raw payloads', async () => {
    const books = [
      reportBook('1.300'),
      book(
        '1.300',
        [
          runner(HOME, []),
          runner(AWAY, [lv(2, 0)]),
          runner(DRAW, [
            [3.5, 10],
            [3.4, 2],
          ]),
        ],
        {
          status: 'SUSPENDED',
        },
      ),
      book('1.300', [
        runner(String(HOME), [lv('NaN', 3)], [], { status: 'REMOVED' }),
        runner(DRAW, [lv(5, 1)]),
      ]),
    ];
    await insertMetadata(db.sql, '1.300');
    await insertMetadata(db.sql, '1.301');
    const times = ['2026-02-01T10:00:00Z', '2026-02-01T10:15:00Z', '2026-02-01T10:30:00Z'];
    await ingestMarketBooks(
      db.sql,
      books.map((b, i) => ({ ...b, snapshotAt: times[i] })),
    );
    // The same payloads as bare raw snapshots of another market, derived by the backfill.
    for (const [i, b] of books.entries())
      await insertRawSnapshot(db.sql, '1.301', times[i]!, { ...b, marketId: '1.301' });
    const filled = await runLadderBackfill(db.sql, backfillParamsSchema.parse({ since: times[0] }));
    expect(filled.derived_rows_created).toBe(3);
    const rows = await db.sql.unsafe(`
      select market_id, ${derivedCols} from market_derived_metrics
      where market_id in ('1.300', '1.301') order by snapshot_at, market_id`);
    expect(rows).toHaveLength(6);
    for (let i = 0; i < 6; i += 2) {
      const { market_id: _a, ...ingested } = rows[i]!;
      const { market_id: _b, ...backfilled } = rows[i + 1]!;
      expect(backfilled).toEqual(ingested);
    }
    expect(rows.flatMap((r) => Object.values(r)).includes(0)).toBe(false);
  });

  test('books without metadata get a derived row with NULL roles, filled by the backfill once the catalogue arrives', async () => {
    await ingestMarketBooks(db.sql, [reportBook('1.400')], {
      snapshotAt: '2026-02-02T00:00:00Z',
    });
    const [before] =
      await db.sql`select total_volume, home_best_back_size_l1 from market_derived_metrics where market_id = '1.400'`;
    expect(before).toEqual({ total_volume: 48213.55, home_best_back_size_l1: null });
    await insertMetadata(db.sql, '1.400');
    const r = await runLadderBackfill(
      db.sql,
      backfillParamsSchema.parse({ since: '2026-02-02T00:00:00Z', until: '2026-02-02T00:00:01Z' }),
    );
    expect(r.updated_by_column.home_best_back_size_l1).toBe(1);
    const [after] =
      await db.sql`select home_best_back_size_l1 from market_derived_metrics where market_id = '1.400'`;
    expect(after?.home_best_back_size_l1).toBe(21.53);
  });

  test('bad books are rejected one by one with a reason; the rest are stored', async () => {
    const warnings: string[] = [];
    const counts = await ingestMarketBooks(
      db.sql,
      [
        { ...reportBook('1.500'), publishTime: 1771091518466 },
        { marketId: 'abc', runners: [] },
        reportBook('1.501'),
        { ...reportBook('1.502'), snapshotAt: 'yesterday' },
        { ...reportBook('1.503'), snapshotAt: '2026-02-02T00:00:00Z', status: 'OPEN\u0000' },
      ],
      { warn: (m) => warnings.push(m) },
    );
    expect(counts).toMatchObject({ received: 5, inserted: 1, rejected: 4 });
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/^book 1: not a MarketBook \(marketId: marketId must look like/);
    expect(warnings[1]).toBe('book 2: market 1.501 has no snapshotAt/publishTime; pass --snapshot-at');
    expect(warnings[2]).toBe('book 3: snapshotAt "yesterday" is not a time');
    expect(warnings[3]).toMatch(/^market 1\.503 at 2026-02-02T00:00:00Z: rejected \(/);
    const [stored] = await db.sql`select snapshot_at from market_book_snapshots where market_id = '1.500'`;
    expect((stored!.snapshot_at as Date).toISOString()).toBe('2026-02-14T17:51:58.466Z');
  });

  test('file forms: JSON array, NDJSON, JSON-RPC wrapper, gzip', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kit-books-'));
    const at = (m: number) => `2026-03-01T00:0${m}:00Z`;
    const files = {
      'array.json': JSON.stringify(
        [
          { ...reportBook('1.600'), snapshotAt: at(0) },
          { ...reportBook('1.600'), snapshotAt: at(1) },
        ],
        null,
        2,
      ),
      'lines.ndjson': `${JSON.stringify({ ...reportBook('1.601'), snapshotAt: at(0) })}\n${JSON.stringify({ ...reportBook('1.601'), snapshotAt: at(1) })}\n`,
      'rpc.json': JSON.stringify({
        jsonrpc: '2.0',
        result: [{ ...reportBook('1.602'), snapshotAt: at(0) }],
        id: 1,
      }),
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    await writeFile(
      join(dir, 'lines.ndjson.gz'),
      gzipSync(files['lines.ndjson'].replaceAll('1.601', '1.603')),
    );
    const got: Record<string, number> = {};
    for (const name of [...Object.keys(files), 'lines.ndjson.gz']) {
      got[name] = (await importMarketBookFile(db.sql, join(dir, name))).inserted;
    }
    expect(got).toEqual({ 'array.json': 2, 'lines.ndjson': 2, 'rpc.json': 1, 'lines.ndjson.gz': 2 });
  });

  test('the ingest_market_books task through the worker; an invalid payload is recorded, not retried', async () => {
    await db.sql`select graphile_worker.add_job('ingest_market_books',
      ${JSON.stringify({ books: [reportBook('1.700')], snapshot_at: '2026-03-02T00:00:00Z' })}::text::json)`;
    await db.sql`select graphile_worker.add_job('ingest_market_books', '{"books": [], "path": "/x"}'::json)`;
    await drainQueue({ connectionString: db.url, noHandleSignals: true });
    const [stored] =
      await db.sql`select count(*)::int as n from market_derived_metrics where market_id = '1.700'`;
    expect(stored?.n).toBe(1);
    const errors =
      await db.sql`select kind, error from job_errors where task_identifier = 'ingest_market_books'`;
    expect(errors).toEqual([
      { kind: 'invalid_payload', error: 'invalid payload: payload: give exactly one of books or path' },
    ]);
    const [left] = await db.sql`select count(*)::int as n from graphile_worker.jobs`;
    expect(left?.n).toBe(0);
  });
});

describe('CLIs', () => {
  test('import:market-books on a gzip NDJSON file with --snapshot-at; a second import stores nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kit-cli-'));
    const file = join(dir, 'books.ndjson.gz');
    const lines = [reportBook('1.800'), reportBook('1.801'), { marketId: 'nope' }].map((b) =>
      JSON.stringify(b),
    );
    await writeFile(file, gzipSync(`${lines.join('\n')}\n`));
    const first = await cli('src/cli/import-market-books.ts', [
      file,
      '--snapshot-at',
      '2026-02-14T17:51:58.466790Z',
    ]);
    expect(first.code).toBe(2); // one book rejected
    expect(first.stderr).toContain(`warning: ${file}:3: not a MarketBook`);
    expect(first.stdout).toMatch(/│ received │ inserted │ duplicates │ derived │ rejected │/);
    expect(first.stdout).toMatch(/│ 3 +│ 2 +│ 0 +│ 2 +│ 1 +│/);
    const second = await cli('src/cli/import-market-books.ts', [
      file,
      '--snapshot-at',
      '2026-02-14T17:51:58.466790Z',
    ]);
    expect(second.stdout).toMatch(/│ 3 +│ 0 +│ 2 +│ 0 +│ 1 +│/);
    const missing = await cli('src/cli/import-market-books.ts', [join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^error: ENOENT/);
  });

  test('import:catalogue: roles by sortPriority, a warning on an event-name mismatch, no row without a draw', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kit-cat-'));
    const file = join(dir, 'catalogue.json');
    const market = (marketId: string, eventName: string, runners: unknown[], extra = {}) => ({
      marketId,
      marketName: 'Match Odds',
      marketStartTime: '2026-02-14T19:00:00.000Z',
      totalMatched: 0,
      runners,
      event: { id: '35212345', name: eventName, countryCode: 'CH', openDate: '2026-02-14T19:00:00.000Z' },
      competition: { id: '228', name: 'UEFA Europa League' },
      ...extra,
    });
    const r = (selectionId: number, runnerName: string, sortPriority: number) => ({
      selectionId,
      runnerName,
      handicap: 0,
      sortPriority,
    });
    await writeFile(
      file,
      JSON.stringify([
        market('1.900', 'Young Boys v Aston Villa', [
          r(63908, 'Aston Villa', 2),
          r(58805, 'The Draw', 3),
          r(65778, 'Young Boys', 1),
        ]),
        market('1.901', 'Man Utd v Liverpool', [
          r(48351, 'Man City', 1),
          r(56323, 'Liverpool', 2),
          r(58805, 'The Draw', 3),
        ]),
        market('1.902', 'A v B', [r(1, 'A', 1), r(2, 'B', 2)]),
        market('1.903', 'C v D', [r(3, 'C', 0), r(4, 'D', 1), r(58805, 'The Draw', 2)]),
      ]),
    );
    const out = await cli('src/cli/import-catalogue.ts', [file]);
    expect(out.stderr).not.toContain('error:');
    expect(out.code).toBe(0);
    const warnings = out.stderr.trim().split('\n');
    expect(warnings).toEqual([
      `warning: ${file}:1: market 1.901: event "Man Utd v Liverpool" does not read "Man City v Liverpool" (home v away by sortPriority)`,
      `warning: ${file}:1: market 1.902: no single runner for draw (sortPriority 1..3): no metadata row written`,
    ]);
    const rows = await db.sql`
      select market_id, home_selection_id::int as h, away_selection_id::int as a, draw_selection_id::int as d,
             home_runner_name, competition_name
      from market_event_metadata where market_id like '1.90%' order by market_id`;
    expect(rows).toEqual([
      {
        market_id: '1.900',
        h: 65778,
        a: 63908,
        d: 58805,
        home_runner_name: 'Young Boys',
        competition_name: 'UEFA Europa League',
      },
      {
        market_id: '1.901',
        h: 48351,
        a: 56323,
        d: 58805,
        home_runner_name: 'Man City',
        competition_name: 'UEFA Europa League',
      },
      {
        market_id: '1.903',
        h: 3,
        a: 4,
        d: 58805,
        home_runner_name: 'C',
        competition_name: 'UEFA Europa League',
      },
    ]);
    // A later catalogue without the competition does not blank it.
    const warn: string[] = [];
    const row = catalogueToRow(
      market(
        '1.900',
        'Young Boys v Aston Villa',
        [r(65778, 'Young Boys', 1), r(63908, 'Aston Villa', 2), r(58805, 'The Draw', 3)],
        {
          competition: undefined,
        },
      ),
      (m) => warn.push(m),
    );
    expect(warn).toEqual([]);
    await writeFile(
      file,
      JSON.stringify(
        row
          ? [
              {
                ...market('1.900', 'Young Boys v Aston Villa', [
                  r(65778, 'Young Boys', 1),
                  r(63908, 'Aston Villa', 2),
                  r(58805, 'The Draw', 3),
                ]),
                competition: null,
              },
            ]
          : [],
      ),
    );
    expect((await cli('src/cli/import-catalogue.ts', [file])).code).toBe(0);
    const [kept] = await db.sql`select competition_name from market_event_metadata where market_id = '1.900'`;
    expect(kept?.competition_name).toBe('UEFA Europa League');
  });
});
