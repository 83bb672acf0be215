import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { importStreamFile, type StreamImportCounts } from '../betfair/ingest-stream.ts';
import { parseCadence } from '../betfair/stream/index.ts';
import { parseMarketTypes } from '../betfair/stream-options.ts';
import { connect, databaseUrl } from '../db.ts';
import { runCommand } from './run.ts';
import { renderTable } from './table.ts';
import { warningPrinter } from './warnings.ts';

const program = new Command('import:stream')
  .showSuggestionAfterError(false)
  .description(
    'Import Betfair historical stream files (BASIC/ADVANCED/PRO: NDJSON mcm lines, plain, .gz, .bz2, or .tar ' +
      'archives of them as Betfair ships them; a DIR is read recursively) into market_book_snapshots ' +
      "(source 'stream'), betfair_markets, market_runners and market_runner_metrics, then link the " +
      'horse-racing markets to ra_mst_races. The last state before the off and the final state are always ' +
      'written. A file whose bytes were imported before is skipped; one file is one transaction. ' +
      'Exit code 2 when some lines were not mcm messages.',
  )
  .argument('<paths...>', 'files or directories')
  .option('--every <duration>', 'one snapshot per window of publish time, e.g. 1s, 500ms, 1m')
  .option('--every-change', 'a snapshot after every change (the default)')
  .option('--at <offsets>', 'snapshots at the scheduled off plus each offset, e.g. -60m,-10m,-1m,0')
  .option('--markets <types>', 'only these market types, e.g. WIN,PLACE,MATCH_ODDS', (v: string) => {
    try {
      return parseMarketTypes(v);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  })
  .option(
    '--queue',
    'queue one ingest_stream_file job per file for the workers (paths must lie in KIT_IMPORT_DIR)',
  )
  .parse();

/** Files under the given paths, directories walked in name order, hidden entries skipped. */
async function filesOf(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string) => {
    const s = await stat(path).catch(() => {
      throw new Error(`${path}: no such file or directory`);
    });
    if (s.isDirectory()) {
      const names = (await readdir(path)).filter((n) => !n.startsWith('.')).sort();
      for (const name of names) await walk(join(path, name));
    } else if (s.isFile()) out.push(path);
  };
  for (const p of paths) await walk(p);
  return out;
}

runCommand(async () => {
  const flags = program.opts<{
    every?: string;
    everyChange?: boolean;
    at?: string;
    markets?: string[];
    queue?: boolean;
  }>();
  const cadence = parseCadence(flags);
  const files = await filesOf(program.args);
  if (files.length === 0) throw new Error('no files found');
  const sql = connect(databaseUrl(), { max: 1 });
  try {
    if (flags.queue) {
      for (const file of files) {
        const payload = {
          path: resolve(file),
          ...(flags.every ? { every: flags.every } : {}),
          ...(flags.at ? { at: flags.at } : {}),
          ...(flags.markets ? { markets: flags.markets } : {}),
        };
        await sql`select graphile_worker.add_job('ingest_stream_file', ${JSON.stringify(payload)}::json)`;
      }
      console.log(`queued ${files.length} ingest_stream_file job(s); run \`npm run worker\` to import them`);
      return 0;
    }
    const warnings = warningPrinter();
    const rows: Array<Record<string, unknown>> = [];
    let bad = 0;
    for (const file of files) {
      const started = performance.now();
      const c: StreamImportCounts = await importStreamFile(sql, file, {
        cadence,
        marketTypes: flags.markets,
        warn: warnings.warn,
      });
      bad += c.badLines;
      const seconds = (performance.now() - started) / 1000;
      rows.push({
        file,
        status: c.alreadyImported ? 'already imported' : 'imported',
        messages: c.messages,
        markets: c.markets,
        snapshots: c.inserted,
        'runner rows': c.runnerRows,
        linked: c.linked,
        'bad lines': c.badLines,
        'msgs/s': Math.round(c.messages / Math.max(seconds, 0.001)),
      });
    }
    warnings.flush();
    console.log(renderTable('stream files', rows));
    return bad > 0 ? 2 : 0;
  } finally {
    await sql.end();
  }
});
