// npm run rederive -- [--source results|racecards|horses] [--start-date D --end-date D]
// Queues the re-derive of stored API answers (raw_responses) into rows: one job per (source, date), horse
// answers in chunks; `npm run worker` does the work. Zero API calls.
import { Command, Option } from 'commander';
import { connect, databaseUrl } from '../db.ts';
import { describeIssues } from '../describe-issues.ts';
import { queueRederive, REDERIVE_SOURCES, RederivePayload } from '../racing/rederive.ts';
import { runCommand } from './run.ts';

const program = new Command('rederive')
  .showSuggestionAfterError(false)
  .description(
    'Rebuild rows from the archived API answers (raw_responses) through the fetch mapping, with zero API calls. ' +
      'Queues one rederive_day job per stored date (one transaction each) and rederive_horses jobs; run `npm run worker`.',
  )
  .addOption(new Option('--source <source>', 'only this source (default: all)').choices(REDERIVE_SOURCES))
  .option('--start-date <date>', 'first date, YYYY-MM-DD (default: the first stored)')
  .option('--end-date <date>', 'last date, YYYY-MM-DD (default: the last stored)')
  .parse();

runCommand(async () => {
  const flags = program.opts<{ source?: string; startDate?: string; endDate?: string }>();
  const checked = RederivePayload.safeParse({
    source: flags.source,
    start_date: flags.startDate,
    end_date: flags.endDate,
  });
  if (!checked.success) throw new Error(describeIssues(checked.error));
  const sql = connect(databaseUrl(), { max: 1 });
  try {
    const q = await queueRederive(sql, checked.data);
    console.log(
      `queued rederive: ${q.results} results dates, ${q.racecards} racecards dates, ` +
        `${q.horses} horses in ${q.horseJobs} jobs; run \`npm run worker\` to process them (no API calls)`,
    );
  } finally {
    await sql.end();
  }
  return undefined;
});
