import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { connect, databaseUrl, describeTarget } from '../db.ts';
import { loadCoverage } from '../report/coverage.ts';
import { renderReportHtml } from '../report/html.ts';
import { runCommand } from './run.ts';

const program = new Command('report')
  .showSuggestionAfterError(false)
  .description(
    'Write the coverage report of DATABASE_URL as one self-contained HTML file (charts included, opens with no ' +
      'network): runner coverage per year, enrichment and pedigree, entity counts, L1 NULLs and ladder backfill ' +
      'runs, API requests per minute by status over the last 24 hours of activity, backfill progress.',
  )
  .option('-o, --out <file>', 'where to write the report', 'report.html')
  .parse();

const { out } = program.opts<{ out: string }>();

runCommand(async () => {
  const url = databaseUrl();
  const sql = connect(url, { max: 1 });
  try {
    const coverage = await loadCoverage(sql);
    const html = renderReportHtml(coverage);
    const path = resolve(out);
    await writeFile(path, html);
    const below = coverage.years.filter((y) => y.belowTarget).length;
    console.log(
      `wrote ${path} (${Math.round(Buffer.byteLength(html) / 1024)} KiB) from ${describeTarget(url)}: ` +
        `${coverage.years.length} years (${below} below ${coverage.coverageTargetPct}%), ` +
        `${coverage.requests.total} API requests in the last 24 h of activity`,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
});
