// The ladder backfill's bisection isolates only a row's own failures (SQLSTATE classes 22 and 23). An error
// that would fail every row alike ends the run `failed` at its last committed batch, so a resume redoes
// that batch; before, it marked every row of the batch as an error and the run ended `done`.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { runLadderBackfill } from '../../src/betfair/backfill.ts';
import { backfillParamsSchema } from '../../src/betfair/backfill-params.ts';
import { type BackfillRun, getRun } from '../../src/betfair/backfill-runs.ts';
import { connect } from '../../src/db.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { buildL1Scenario } from '../helpers/ladder.ts';

const db = useTestDatabase();
const COLUMN = 'away_best_back_size_l1';
const params = (p: Record<string, unknown>) =>
  backfillParamsSchema.parse({ columns: [COLUMN], batch_size: 50, ...p });

beforeAll(async () => {
  await buildL1Scenario(db.sql, { snapshots: 400, nullRows: 300, markets: 5 });
  // The scenario's NULL rows are all fillable in this column: fill them, so each test chooses its own.
  await runLadderBackfill(db.sql, params({}));
});

async function nullRows(from: number, to: number) {
  await db.sql.unsafe(
    `update market_derived_metrics set ${COLUMN} = null where snapshot_id between $1::int and $2::int`,
    [from, to],
  );
}

async function stillNull(): Promise<number> {
  const [row] = await db.sql.unsafe<{ n: number }[]>(
    `select count(*)::int as n from market_derived_metrics where ${COLUMN} is null`,
  );
  return row!.n;
}

async function lastRun(): Promise<BackfillRun> {
  const [row] = await db.sql`select id::int from ladder_backfill_runs order by id desc limit 1`;
  return (await getRun(db.sql, row!.id))!;
}

/** Runs a backfill that must fail; returns its run row. */
async function failingRun(p: Record<string, unknown>, onBatch?: () => Promise<void>) {
  let batches = 0;
  await expect(
    runLadderBackfill(db.sql, params(p), {
      onBatch: async () => {
        batches += 1;
        if (batches === 1) await onBatch?.();
      },
    }),
  ).rejects.toThrow();
  return lastRun();
}

async function withTrigger(body: string, fn: () => Promise<void>) {
  await db.sql.unsafe(`
    create function fault_trigger() returns trigger language plpgsql as $$ begin ${body} return new; end $$;
    create trigger fault_trigger before update on market_derived_metrics for each row execute function fault_trigger();`);
  try {
    await fn();
  } finally {
    await db.sql.unsafe(
      'drop trigger fault_trigger on market_derived_metrics; drop function fault_trigger();',
    );
  }
}

describe('systemic errors fail the run at its last committed batch', () => {
  test('a function dropped mid-run (42883): failed, last_snapshot_id at batch 1, no row counted; the resume fills the rest', async () => {
    await nullRows(101, 250);
    const [fn] = await db.sql<{ sig: string }[]>`
      select oid::regprocedure::text as sig from pg_proc where proname = 'derive_ladder_back_l1'`;
    let renamed = false;
    const run = await failingRun({}, async () => {
      await db.sql.unsafe(`alter function ${fn!.sig} rename to derive_ladder_back_l1_gone`);
      renamed = true;
    });
    try {
      expect(renamed).toBe(true);
      expect(run).toMatchObject({ status: 'failed', scanned: 50, errors: 0, last_snapshot_id: 150 });
      expect(run.last_error).toMatch(/derive_ladder_back_l1.*does not exist/);
      expect(run.updated_by_column).toEqual({ [COLUMN]: 50 });
      expect(await stillNull()).toBe(100);
    } finally {
      await db.sql.unsafe(
        `alter function derive_ladder_back_l1_gone(${fn!.sig.replace(/^[^(]*\(/, '')} rename to derive_ladder_back_l1`,
      );
    }
    const resumed = await runLadderBackfill(db.sql, params({ run_id: run.id }));
    expect(resumed).toMatchObject({ status: 'done', scanned: 150, errors: 0 });
    expect(resumed.updated_by_column).toEqual({ [COLUMN]: 150 });
    expect(await stillNull()).toBe(0);
  });

  test('permission revoked mid-run (42501): failed at batch 1, nothing counted as a row error', async () => {
    await nullRows(101, 250);
    const role = `kit_backfill_${randomBytes(4).toString('hex')}`;
    await db.sql.unsafe(`create role ${role} login;
      grant usage on schema public to ${role};
      grant select, insert, update on all tables in schema public to ${role};
      grant usage on all sequences in schema public to ${role};`);
    const url = new URL(db.url);
    url.username = role;
    const limited = connect(url.toString(), { max: 2 });
    try {
      let batches = 0;
      await expect(
        runLadderBackfill(limited, params({}), {
          onBatch: async () => {
            batches += 1;
            if (batches === 1) await db.sql.unsafe(`revoke update on market_derived_metrics from ${role}`);
          },
        }),
      ).rejects.toThrow(/permission denied/);
      const run = await lastRun();
      expect(run).toMatchObject({ status: 'failed', scanned: 50, errors: 0, last_snapshot_id: 150 });
      expect(await stillNull()).toBe(100);
    } finally {
      await limited.end({ timeout: 5 });
      await db.sql.unsafe(`drop owned by ${role}; drop role ${role}`);
    }
    const resumed = await runLadderBackfill(db.sql, params({ run_id: (await lastRun()).id }));
    expect(resumed).toMatchObject({ status: 'done', errors: 0 });
    expect(await stillNull()).toBe(0);
  });

  test.each([
    ['57014', 'statement timeout'],
    ['57P01', 'administrator shutdown'],
    ['08006', 'connection failure'],
    ['53100', 'disk full'],
    ['XX000', 'internal error'],
  ])('SQLSTATE %s (%s) raised for one row of batch 2: the run fails, the row is not blamed', async (code) => {
    await nullRows(101, 250);
    await withTrigger(
      `if new.snapshot_id = 170 then raise exception 'simulated ${code}' using errcode = '${code}'; end if;`,
      async () => {
        const run = await failingRun({});
        expect(run).toMatchObject({
          status: 'failed',
          scanned: 50,
          errors: 0,
          last_snapshot_id: 150,
          last_error: `simulated ${code}`,
        });
        expect(await stillNull()).toBe(100);
      },
    );
    const resumed = await runLadderBackfill(db.sql, params({ run_id: (await lastRun()).id }));
    expect(resumed).toMatchObject({ status: 'done', errors: 0 });
    expect(await stillNull()).toBe(0);
  });

  test.each([
    ['22012', 'division by zero'],
    ['22P02', 'invalid text'],
    ['23514', 'check violation'],
  ])('SQLSTATE %s (%s) is the row’s own: isolated and counted, the run goes on', async (code) => {
    await nullRows(101, 250);
    await withTrigger(
      `if new.snapshot_id = 170 then raise exception 'bad row' using errcode = '${code}'; end if;`,
      async () => {
        const run = await runLadderBackfill(db.sql, params({}));
        expect(run).toMatchObject({ status: 'done', errors: 1, last_error: 'snapshot 170: bad row' });
        expect(run.updated_by_column).toEqual({ [COLUMN]: 149 });
      },
    );
    await runLadderBackfill(db.sql, params({}));
    expect(await stillNull()).toBe(0);
  });
});

describe('ladder_try_jsonb catches only invalid JSON', () => {
  test('bad JSON text gives NULL; valid text is parsed', async () => {
    const rows = await db.sql<{ v: unknown }[]>`
      select ladder_try_jsonb(t) as v from unnest(array[' {"a":1}', 'x', '', '"\\u0000"', '[1e999999]', '{"a":']) with ordinality u(t, i)
      order by i`;
    expect(rows.map((r) => r.v)).toEqual([{ a: 1 }, null, null, null, null, null]);
  });

  test('any other error is raised, not turned into an empty row (stack depth: 54001)', async () => {
    await expect(db.sql`select ladder_try_jsonb(repeat('[', 200000))`).rejects.toMatchObject({
      code: '54001',
    });
  });
});
