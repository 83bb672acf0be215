import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { drainQueue, startWorker } from '../../src/worker.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { buildL1Scenario } from '../helpers/ladder.ts';

const db = useTestDatabase();
const root = new URL('../../', import.meta.url).pathname;
const L1 = ['home_best_back_size_l1', 'away_best_back_size_l1', 'draw_best_back_size_l1'];

async function fillableCells(): Promise<number> {
  const [row] = await db.sql`select sum(fillable)::int as n from v_l1_null_counts`;
  return row?.n ?? 0;
}

beforeAll(async () => {
  // Smaller than the report, but with many NULL rows so that two jobs overlap for many batches.
  await buildL1Scenario(db.sql, { snapshots: 4000, nullRows: 3000, markets: 40 });
});

describe('backfill_ladder jobs', () => {
  test('two jobs at once neither double-count nor deadlock: their updates sum to the fillable cells', async () => {
    const fillable = await fillableCells();
    expect(fillable).toBe(3 * 3000 - 1);
    const payload = JSON.stringify({ columns: L1, batch_size: 40 });
    await db.sql`select graphile_worker.add_job('backfill_ladder', ${payload}::text::json, max_attempts := 1)`;
    await db.sql`select graphile_worker.add_job('backfill_ladder', ${payload}::text::json, max_attempts := 1)`;
    await drainQueue({ connectionString: db.url, concurrency: 2, noHandleSignals: true });
    const runs = await db.sql`
      select status, errors::int, updated_by_column, started_at, finished_at
      from ladder_backfill_runs order by id`;
    expect(runs.map((r) => [r.status, r.errors])).toEqual([
      ['done', 0],
      ['done', 0],
    ]);
    const sum = (col: string) => runs.reduce((n, r) => n + Number(r.updated_by_column[col]), 0);
    expect(
      sum('home_best_back_size_l1') + sum('away_best_back_size_l1') + sum('draw_best_back_size_l1'),
    ).toBe(fillable);
    expect(sum('home_best_back_size_l1')).toBe(2999);
    // Both did part of the work, at the same time.
    for (const r of runs)
      expect(Object.values(r.updated_by_column as Record<string, number>).some((n) => n > 0)).toBe(true);
    expect(runs[0]!.started_at < runs[1]!.finished_at && runs[1]!.started_at < runs[0]!.finished_at).toBe(
      true,
    );
    expect(await fillableCells()).toBe(0);
    const [left] = await db.sql`select count(*)::int as n from graphile_worker.jobs`;
    expect(left?.n).toBe(0);
  });

  test('an invalid payload is recorded in job_errors, starts no run, and the job is not retried', async () => {
    const [before] = await db.sql`select count(*)::int as n from ladder_backfill_runs`;
    await db.sql`select graphile_worker.add_job('backfill_ladder', '{"columns": ["home_best_back_size_l1; drop table x"]}'::json)`;
    await drainQueue({ connectionString: db.url, noHandleSignals: true });
    const errors = await db.sql`select kind, error from job_errors where task_identifier = 'backfill_ladder'`;
    expect(errors).toEqual([
      {
        kind: 'invalid_payload',
        error: 'invalid payload: columns.0: unknown column home_best_back_size_l1; drop table x',
      },
    ]);
    const [after] = await db.sql`select count(*)::int as n from ladder_backfill_runs`;
    expect(after?.n).toBe(before?.n);
    const [left] = await db.sql`select count(*)::int as n from graphile_worker.jobs`;
    expect(left?.n).toBe(0);
  });

  test('npm run ladder:backfill queues the job, waits for a worker and prints the counts', async () => {
    await db.sql`update market_derived_metrics set draw_best_back_size_l1 = null where snapshot_id between 10 and 29`;
    const worker = await startWorker({
      connectionString: db.url,
      noHandleSignals: true,
      pollIntervalMs: 200,
    });
    try {
      const dry = await runCli(['--dry-run', '--columns', 'draw_best_back_size_l1', '--batch-size', '7']);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/│ run +│ \d+ \(dry run\), done/);
      expect(dry.stdout).toMatch(/│ snapshots scanned +│ 20 +│/);
      expect(dry.stdout).toMatch(/│ draw_best_back_size_l1 │ 20 +│/);
      expect(dry.stdout).toContain('would update');
      const real = await runCli(['--columns', 'draw_best_back_size_l1']);
      expect(real.code).toBe(0);
      expect(real.stdout).toMatch(/│ draw_best_back_size_l1 │ 20 +│/);
      const bad = await runCli(['--columns', 'nope']);
      expect(bad.code).toBe(1);
      expect(bad.stderr.trim()).toBe('error: columns.0: unknown column nope');
    } finally {
      await worker.stop();
    }
  });
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'src/cli/ladder-backfill.ts'), ...args], {
      env: { ...process.env, DATABASE_URL: db.url },
      cwd: root,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
