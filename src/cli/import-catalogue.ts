import { Command } from 'commander';
import { importCatalogueFile } from '../betfair/catalogue.ts';
import { connect, databaseUrl } from '../db.ts';
import { runCommand } from './run.ts';
import { renderTable } from './table.ts';
import { warningPrinter } from './warnings.ts';

const program = new Command('import:catalogue')
  .showSuggestionAfterError(false)
  .description(
    'Store listMarketCatalogue markets in betfair_markets and market_runners (every market; the ' +
      'horse-racing ones are then linked to their races) and, for soccer markets, home/away/draw in ' +
      'market_event_metadata: from sortPriority 1/2/3 (0/1/2 tolerated), checked against the "Home v Away" ' +
      'event name (a warning on mismatch); a market missing a role gets no roles, with a warning. Existing ' +
      'values are never blanked: status, BSP and removals from stream files stay. Run ' +
      '`npm run ladder:backfill` afterwards to derive books imported before their catalogue.',
  )
  .argument('<files...>', 'JSON array, NDJSON or JSON-RPC response files (gzip detected)')
  .parse();

runCommand(async () => {
  const sql = connect(databaseUrl(), { max: 1 });
  const warnings = warningPrinter();
  try {
    const rows = [];
    for (const file of program.args) {
      rows.push({ file, ...(await importCatalogueFile(sql, file, warnings.warn)) });
    }
    warnings.flush();
    console.log(renderTable('market catalogue', rows));
    return 0;
  } finally {
    await sql.end();
  }
});
