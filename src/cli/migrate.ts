import { Command } from 'commander';
import { connect, databaseUrl, describeTarget } from '../db.ts';
import { migrateDatabase } from '../migrate.ts';
import { describeCourseLoad, queueCourseLoad } from '../racing/courses.ts';
import { runCommand } from './run.ts';

new Command('migrate')
  .showSuggestionAfterError(false)
  .description(
    "Apply the kit's schema to DATABASE_URL: graphile-worker's schema, then the drizzle migrations " +
      '(tables, constraints, ladder derivation, verification views). Idempotent and safe to run concurrently. ' +
      'Queues load_courses once while the courses were never loaded.',
  )
  .parse();

runCommand(async () => {
  const url = databaseUrl();
  const started = performance.now();
  await migrateDatabase(url);
  console.log(`migrated ${describeTarget(url)} in ${Math.round(performance.now() - started)} ms`);
  const sql = connect(url, { max: 1 });
  try {
    console.log(describeCourseLoad(await queueCourseLoad(sql)));
  } finally {
    await sql.end();
  }
  return 0;
});
