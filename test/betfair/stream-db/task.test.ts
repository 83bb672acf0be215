import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateWinMarket, writeStreamFile } from '../../../src/betfair/stream/index.ts';
import { drainQueue } from '../../../src/worker.ts';
import { useTestDatabase } from '../../helpers/db.ts';
import { addJob } from '../../helpers/racing-worker.ts';

const db = useTestDatabase();
const drain = () => drainQueue({ connectionString: db.url, concurrency: 2, noHandleSignals: true });
let importDir: string;
let outside: string;
const saved = process.env.KIT_IMPORT_DIR;

beforeAll(async () => {
  importDir = await mkdtemp(join(tmpdir(), 'kit-import-'));
  outside = await mkdtemp(join(tmpdir(), 'kit-outside-'));
  process.env.KIT_IMPORT_DIR = importDir;
  const market = { marketTime: '2024-06-14T13:30:00Z', runners: 4, seed: 9 };
  await writeStreamFile(
    join(importDir, 'a.bz2'),
    generateWinMarket({ ...market, marketId: '1.600000001' }),
    'bzip2',
  );
  await writeStreamFile(
    join(outside, 'b.gz'),
    generateWinMarket({ ...market, marketId: '1.600000002' }),
    'gzip',
  );
  await symlink(join(outside, 'b.gz'), join(importDir, 'link-out.gz'));
});
afterAll(async () => {
  if (saved === undefined) delete process.env.KIT_IMPORT_DIR;
  else process.env.KIT_IMPORT_DIR = saved;
  await rm(importDir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('the ingest_stream_file task', () => {
  test('imports a file inside KIT_IMPORT_DIR; refuses paths outside it and bad options into job_errors', async () => {
    await addJob(db.sql, 'ingest_stream_file', { path: 'a.bz2', at: '-10m,0', markets: ['WIN'] });
    await addJob(db.sql, 'ingest_stream_file', { path: join(outside, 'b.gz') });
    await addJob(db.sql, 'ingest_stream_file', { path: '../b.gz' });
    await addJob(db.sql, 'ingest_stream_file', { path: 'link-out.gz' });
    await addJob(db.sql, 'ingest_stream_file', { path: 'a.bz2', every: '1s', at: '0' });
    await drain();

    const stored = await db.sql`
      select market_id, count(*)::int as n from market_book_snapshots group by market_id order by market_id`;
    expect(stored.map((r) => r.market_id)).toEqual(['1.600000001']);
    const errors = await db.sql`
      select payload ->> 'path' as path, error from job_errors where task_identifier = 'ingest_stream_file'
      order by payload ->> 'path' collate "C"`;
    expect(errors).toHaveLength(4);
    // In path order ("../b.gz", "/tmp/...", "a.bz2", "link-out.gz"): jobs run side by side.
    expect(errors.map((e) => e.error)).toEqual([
      expect.stringMatching(/must not contain/),
      expect.stringMatching(/outside KIT_IMPORT_DIR/),
      expect.stringMatching(/choose one of --every, --every-change and --at/),
      expect.stringMatching(/outside KIT_IMPORT_DIR/),
    ]);
    const [jobs] = await db.sql`select count(*)::int as n from graphile_worker.jobs`;
    expect(jobs?.n).toBe(0);
  });
});
