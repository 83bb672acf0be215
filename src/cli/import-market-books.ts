import { Command, InvalidArgumentError } from 'commander';
import { addCounts, emptyCounts, importMarketBookFile, parseSnapshotTime } from '../betfair/market-books.ts';
import { connect, databaseUrl } from '../db.ts';
import { runCommand } from './run.ts';
import { renderTable } from './table.ts';
import { warningPrinter } from './warnings.ts';

const program = new Command('import:market-books')
  .showSuggestionAfterError(false)
  .description(
    'Store listMarketBook snapshots (raw payload as received) and derive their ladder metrics in the same ' +
      'statement. FILE: a JSON array, NDJSON, or the JSON-RPC response {"result": [...]}; gzip is detected. ' +
      'Each book needs a time: its snapshotAt/snapshot_at/publishTime field, else --snapshot-at. ' +
      'Importing the same file again stores nothing new (unique on market_id, snapshot_at). ' +
      'Exit code 2 when some books were rejected.',
  )
  .argument('<files...>', 'files to import')
  .option(
    '--snapshot-at <time>',
    'time for books that carry none (ISO with zone, e.g. 2026-02-14T17:51:58.466790Z)',
    (v: string) => {
      const t = parseSnapshotTime(v);
      if (!t) throw new InvalidArgumentError(`"${v}" is not an ISO time with a zone`);
      return t;
    },
  )
  .option('--source <name>', 'value of the source column', 'rest_listMarketBook')
  .option('--batch-size <n>', 'books per statement', (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
    return n;
  })
  .parse();

runCommand(async () => {
  const files = program.args;
  const flags = program.opts<{ snapshotAt?: string; source: string; batchSize?: number }>();
  const sql = connect(databaseUrl(), { max: 1 });
  const warnings = warningPrinter();
  try {
    const rows = [];
    let total = emptyCounts();
    for (const file of files) {
      const started = performance.now();
      const counts = await importMarketBookFile(sql, file, { ...flags, warn: warnings.warn });
      total = addCounts(total, counts);
      const seconds = (performance.now() - started) / 1000;
      rows.push({ file, ...counts, 'books/s': Math.round(counts.received / Math.max(seconds, 0.001)) });
    }
    warnings.flush();
    console.log(
      renderTable('market books', files.length > 1 ? [...rows, { file: 'total', ...total }] : rows),
    );
    return total.rejected > 0 ? 2 : 0;
  } finally {
    await sql.end();
  }
});
