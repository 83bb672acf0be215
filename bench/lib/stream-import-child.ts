// A child process for the stream benchmark: imports one stream file into DATABASE_URL with the kit's
// importStreamFile and prints {ms, messages, inserted, runnerRows, maxRssBytes} as one JSON line, so the
// parent can compare the peak memory of a 1x and a 10x input in clean processes.
import { importStreamFile } from '../../src/betfair/ingest-stream.ts';
import { parseCadence } from '../../src/betfair/stream/index.ts';
import { connect } from '../../src/db.ts';

const [path, every] = process.argv.slice(2);
if (!path || !process.env.DATABASE_URL)
  throw new Error('usage: DATABASE_URL=... stream-import-child.ts FILE [EVERY]');
const sql = connect(process.env.DATABASE_URL, { max: 1 });
const started = performance.now();
const c = await importStreamFile(sql, path, { cadence: parseCadence(every ? { every } : {}) });
const ms = performance.now() - started;
await sql.end({ timeout: 5 });
console.log(
  JSON.stringify({
    ms,
    messages: c.messages,
    inserted: c.inserted,
    runnerRows: c.runnerRows,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
