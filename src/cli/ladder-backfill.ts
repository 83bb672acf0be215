import { Command, InvalidArgumentError } from 'commander';
import { runLadderBackfill } from '../betfair/backfill.ts';
import { type BackfillParams, backfillParamsSchema, DEFAULT_BATCH_SIZE } from '../betfair/backfill-params.ts';
import { type BackfillRun, createRun, getRun } from '../betfair/backfill-runs.ts';
import { METRIC_COLUMNS } from '../betfair/metrics.ts';
import { connect, type Db, databaseUrl, type Sql } from '../db.ts';
import { runCommand } from './run.ts';
import { renderTable } from './table.ts';

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const program = new Command('ladder:backfill')
  .showSuggestionAfterError(false)
  .description(
    'Fill NULL derived ladder metrics (and missing derived rows) from the stored raw payloads, in batches ' +
      'keyed by snapshot_id, one commit per batch. Queues a backfill_ladder job and waits for its outcome ' +
      '(a worker must run: npm run worker), or runs here with --here. Dry run first: it reports exactly ' +
      'what the real run would change and writes only its ladder_backfill_runs row.',
  )
  .option('--dry-run', 'count what would change, change nothing')
  .option('--limit <n>', 'at most n candidate snapshots (rows with a NULL in a chosen column)', positive)
  .option('--batch-size <n>', 'snapshots per batch and commit', positive, DEFAULT_BATCH_SIZE)
  .option(
    '--columns <list>',
    `comma-separated columns (default: all ${METRIC_COLUMNS.length} metrics)`,
    (v: string) =>
      v
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
  )
  .option('--since <time>', 'only snapshots with snapshot_at >= time')
  .option('--until <time>', 'only snapshots with snapshot_at < time')
  .option('--resume <run id>', 'continue a stopped or failed run from its last committed batch', positive)
  .option('--here', 'run in this process instead of queueing a job')
  .option('--no-wait', 'queue and return at once (follow it in ladder_backfill_runs)')
  .parse();

interface Flags {
  dryRun?: boolean;
  limit?: number;
  batchSize: number;
  columns?: string[];
  since?: string;
  until?: string;
  resume?: number;
  here?: boolean;
  wait: boolean;
}

function paramsFrom(flags: Flags): BackfillParams {
  const parsed = backfillParamsSchema.safeParse({
    dry_run: flags.dryRun ?? false,
    limit: flags.limit,
    batch_size: flags.batchSize,
    columns: flags.columns,
    since: flags.since,
    until: flags.until,
    run_id: flags.resume,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join('.') || 'options'}: ${issue?.message}`);
  }
  return parsed.data;
}

function report(run: BackfillRun): string {
  const verb = run.dry_run ? 'would update' : 'updated';
  const columns = Object.entries(run.updated_by_column)
    .filter(([, n]) => n > 0 || (run.params.columns?.length ?? 0) > 0)
    .map(([column, n]) => ({ column, [verb]: n }));
  const summary = [
    { what: 'run', value: `${run.id}${run.dry_run ? ' (dry run)' : ''}, ${run.status}` },
    { what: 'snapshots scanned', value: run.scanned },
    {
      what: run.dry_run ? 'derived rows to create' : 'derived rows created',
      value: run.derived_rows_created,
    },
    ...Object.entries(run.skipped_by_reason).map(([reason, n]) => ({ what: `skipped: ${reason}`, value: n })),
    { what: 'errors', value: run.errors },
    ...(run.last_error ? [{ what: 'last error', value: run.last_error }] : []),
    {
      what: 'seconds',
      value: run.finished_at
        ? ((run.finished_at.getTime() - run.started_at.getTime()) / 1000).toFixed(1)
        : '',
    },
  ];
  const cols = columns.length > 0 ? renderTable(`cells ${verb}`, columns) : `cells ${verb}: none`;
  return `${renderTable('ladder backfill', summary)}\n${cols}`;
}

const until = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface JobState {
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  locked: boolean;
}

/** Polls the run row and the job until the run is done or the job has failed for good. */
async function follow(db: Db, runId: number, jobId: string): Promise<BackfillRun> {
  const started = Date.now();
  let hinted = false;
  let lastAttempt = 0;
  let lastScanned = -1;
  for (;;) {
    const run = await getRun(db, runId);
    if (!run) throw new Error(`run ${runId} disappeared`);
    if (run.status === 'done') return run;
    const [job] = await db.unsafe<JobState[]>(
      `SELECT attempts::int, max_attempts::int, last_error, locked_at IS NOT NULL AS locked
       FROM graphile_worker.jobs WHERE id = $1::bigint`,
      [jobId],
    );
    if (!job) {
      // Completed jobs are deleted; read the run once more in case it finished meanwhile.
      const final = await getRun(db, runId);
      if (final?.status === 'done') return final;
      throw new Error(
        `job ${jobId} ended but run ${runId} is ${final?.status}: ${final?.last_error ?? 'no error recorded'}`,
      );
    }
    if (!job.locked && job.attempts >= job.max_attempts) {
      throw new Error(
        `run ${runId} failed after ${job.attempts} attempts: ${(job.last_error ?? run.last_error ?? '').split('\n')[0]} ` +
          `(continue with --resume ${runId})`,
      );
    }
    if (job.attempts > lastAttempt && !job.locked && job.last_error) {
      lastAttempt = job.attempts;
      console.error(
        `attempt ${job.attempts} failed: ${job.last_error.split('\n')[0]}; the worker retries it`,
      );
    }
    if (!hinted && !job.locked && job.attempts === 0 && Date.now() - started > 5000) {
      hinted = true;
      console.error(
        `job ${jobId} is waiting for a worker: start one with \`npm run worker\` (or use --here)`,
      );
    }
    if (process.stderr.isTTY && run.scanned !== lastScanned) {
      lastScanned = run.scanned;
      process.stderr.write(
        `\rscanned ${run.scanned} snapshots, up to snapshot_id ${run.last_snapshot_id ?? 0}`,
      );
    }
    await until(300);
  }
}

runCommand(async () => {
  const flags = program.opts<Flags>();
  const params = paramsFrom(flags);
  const db: Sql = connect(databaseUrl(), { max: 2 });
  try {
    let run: BackfillRun;
    if (flags.here) {
      run = await runLadderBackfill(db, params, {
        onBatch: (r) => {
          if (process.stderr.isTTY) process.stderr.write(`\rscanned ${r.scanned} snapshots`);
        },
      });
    } else {
      const runId = params.run_id ?? (await createRun(db, params));
      const [job] = await db.unsafe<{ id: string }[]>(
        `SELECT (graphile_worker.add_job('backfill_ladder', $1::text::json, job_key := $2::text,
           max_attempts := 3)).id::text AS id`,
        [JSON.stringify({ run_id: runId }), `backfill_ladder:run:${runId}`],
      );
      if (!job) throw new Error('graphile_worker.add_job returned no job');
      await db.unsafe('UPDATE ladder_backfill_runs SET job_id = $2::text WHERE id = $1::bigint', [
        runId,
        job.id,
      ]);
      if (!flags.wait) {
        console.log(
          `queued ladder backfill run ${runId} as job ${job.id}${params.dry_run ? ' (dry run)' : ''}`,
        );
        return 0;
      }
      run = await follow(db, runId, job.id);
    }
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(report(run));
    if (run.errors > 0) {
      console.error(`error: ${run.errors} snapshots failed; last: ${run.last_error}`);
      return 1;
    }
    return 0;
  } finally {
    await db.end();
  }
});
