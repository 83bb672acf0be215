import { setTimeout as sleep } from 'node:timers/promises';
import { styleText } from 'node:util';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { formatBytes } from '../daily/table-sizes.ts';
import { connect, databaseUrl } from '../db.ts';
import { describeAmendedToday, formatDuration, readStatus, type Status } from '../status.ts';
import { runCommand } from './run.ts';
import { renderTable } from './table.ts';

const positiveSeconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
};

const program = new Command('status')
  .showSuggestionAfterError(false)
  .description(
    'Backfill progress from the database: bars per source, request rate, ETA, queue, failed dates.',
  )
  .option('-w, --watch', 'refresh until interrupted')
  .option('-i, --interval <seconds>', 'refresh interval with --watch', positiveSeconds, 5)
  .parse();

function print(status: Status): void {
  const bars = new cliProgress.MultiBar(
    {
      format: '{source} |{bar}| {percentage}% {finished}/{all} {unit} finished ({failedText}), ETA {etaText}',
      stream: process.stdout,
      barsize: 30,
      noTTYOutput: true,
      hideCursor: false,
      clearOnComplete: false,
      stopOnComplete: false,
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  for (const p of status.progress) {
    const finished = p.done + p.failed + p.notInPlan;
    bars.create(Math.max(p.total, 1), finished, {
      source: p.source.padEnd(9),
      finished,
      all: p.total,
      unit: p.unit,
      failedText: `${p.failed} failed${p.notInPlan > 0 ? `, ${p.notInPlan} not in the plan` : ''}`,
      etaText: formatDuration(p.etaSeconds),
    });
  }
  bars.stop();
  const statuses = status.statusesLastHour.map((s) => `${s.status}: ${s.count}`).join(', ') || 'none';
  console.log(
    `\nAPI requests: ${status.requestsPerSecLastMinute.toFixed(2)}/s over the last minute; last hour ${statuses}`,
  );
  console.log(renderTable('\nQueue (graphile_worker.jobs)', status.queue));
  if (status.failedDates.length > 0)
    console.log(renderTable('\nFailed dates (newest 20)', status.failedDates));
  for (const line of status.accountProblems) console.log(styleText('red', line));
  if (status.notInPlan.length > 0) console.log(renderTable('\nDates not in the plan', status.notInPlan));
  console.log(`\nAmendments: ${describeAmendedToday(status.amendedToday)}`);
  const sizes = status.tableSizes.map((t) => ({ table: t.table, size: formatBytes(t.bytes) }));
  console.log(renderTable('\nTable sizes (with indexes)', sizes));
}

runCommand(async () => {
  const { watch, interval } = program.opts<{ watch?: boolean; interval: number }>();
  const sql = connect(databaseUrl(), { max: 1 });
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  try {
    do {
      const status = await readStatus(sql);
      if (watch) console.clear();
      print(status);
      if (watch) await sleep(interval * 1000, undefined, { signal: stop.signal }).catch(() => {});
    } while (watch && !stop.signal.aborted);
  } finally {
    await sql.end();
  }
});
