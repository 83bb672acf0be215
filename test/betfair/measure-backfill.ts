// Not a test: measures the ladder backfill on the rebuilt report scenario at a chosen size.
//   node test/betfair/measure-backfill.ts [snapshots] [nullRows]   (needs DATABASE_URL of a scratch database)
import { runLadderBackfill } from '../../src/betfair/backfill.ts';
import { backfillParamsSchema } from '../../src/betfair/backfill-params.ts';
import { L1_BACK_SIZE_COLUMNS } from '../../src/betfair/metrics.ts';
import { connect, databaseUrl } from '../../src/db.ts';
import { buildL1Scenario } from '../helpers/ladder.ts';

const snapshots = Number(process.argv[2] ?? 12_401);
const nullRows = Number(process.argv[3] ?? 980);
const sql = connect(databaseUrl(), { max: 2 });
await sql`truncate market_book_snapshots, market_event_metadata, ladder_backfill_runs cascade`;
let t = performance.now();
await buildL1Scenario(sql, { snapshots, nullRows, markets: 97 });
await sql`vacuum analyze market_book_snapshots`;
await sql`vacuum analyze market_derived_metrics`;
console.log(
  `scenario ${snapshots} snapshots, ${nullRows} NULL rows: built in ${Math.round(performance.now() - t)} ms`,
);

for (const dry of [true, false]) {
  t = performance.now();
  const run = await runLadderBackfill(
    sql,
    backfillParamsSchema.parse({ dry_run: dry, columns: [...L1_BACK_SIZE_COLUMNS] }),
  );
  const s = (performance.now() - t) / 1000;
  console.log(
    `${dry ? 'dry run' : 'real run'}: ${s.toFixed(2)} s, scanned ${run.scanned} (${Math.round(run.scanned / s)} candidates/s, ` +
      `${Math.round(snapshots / s)} snapshots covered/s), updated ${JSON.stringify(run.updated_by_column)}`,
  );
}
t = performance.now();
await sql`update market_derived_metrics set home_best_back = null`;
const all = await runLadderBackfill(
  sql,
  backfillParamsSchema.parse({ columns: ['home_best_back'], batch_size: 2000 }),
);
const s = (performance.now() - t) / 1000;
console.log(
  `every snapshot a candidate (home_best_back NULLed): ${s.toFixed(2)} s, ${Math.round(all.scanned / s)} snapshots/s`,
);
await sql.end();
