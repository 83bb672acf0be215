import { Command } from 'commander';
import { databaseUrl, describeTarget } from '../db.ts';
import { migrateDatabase } from '../migrate.ts';
import { runCommand } from './run.ts';

new Command('migrate')
  .showSuggestionAfterError(false)
  .description(
    "Apply the kit's schema to DATABASE_URL: graphile-worker's schema, then the drizzle migrations " +
      '(tables, constraints, ladder derivation, verification views). Idempotent and safe to run concurrently.',
  )
  .parse();

runCommand(async () => {
  const url = databaseUrl();
  const started = performance.now();
  await migrateDatabase(url);
  console.log(`migrated ${describeTarget(url)} in ${Math.round(performance.now() - started)} ms`);
});
