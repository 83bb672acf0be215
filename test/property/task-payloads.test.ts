// Random JSON to every task's payload (every entry of taskList): a payload the task refuses is recorded in
// job_errors and nothing else is written; no payload, refused or accepted, makes a task crash on a programming
// error (TypeError and the like). Accepted payloads may do their work; their API calls go to a closed port.
import fc from 'fast-check';
import type { JobHelpers } from 'graphile-worker';
import { Logger } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { withTaskDatabase } from '../../src/task-db.ts';
import { taskList } from '../../tasks/index.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();
const RUNS = 40;

const ENV: Record<string, string | undefined> = {
  RACING_API_BASE_URL: 'http://127.0.0.1:9/', // nothing listens: an accepted payload's call fails at once
  RACING_API_USERNAME: undefined,
  RACING_API_PASSWORD: undefined,
  RACING_API_ACCOUNTS: undefined,
  RACING_API_MAX_ATTEMPTS: '1',
  RACING_API_TIMEOUT_MS: '2000',
  KIT_IMPORT_DIR: undefined,
};
const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** Rows in every table of the kit and of graphile-worker. */
async function rowCounts(): Promise<Record<string, number>> {
  const rows = await db.sql<{ name: string; n: number }[]>`
    select table_schema || '.' || table_name as name,
      (xpath('/row/n/text()', query_to_xml(format('select count(*) as n from %I.%I', table_schema, table_name),
        false, true, '')))[1]::text::int as n
    from information_schema.tables
    where table_schema in ('public', 'graphile_worker') and table_type = 'BASE TABLE'`;
  return Object.fromEntries(rows.map((r) => [r.name, r.n]));
}

const quiet = new Logger(() => () => {});
let jobId = 0;
function helpers(task: string): JobHelpers {
  jobId += 1;
  return {
    job: { id: String(jobId), key: null, attempts: 1, max_attempts: 1, task_identifier: task },
    logger: quiet,
    abortSignal: new AbortController().signal,
  } as unknown as JobHelpers;
}

/** Keys the tasks know, so that random values reach the schemas' inner rules and the domain checks. */
const KEYS = [
  'start_date',
  'end_date',
  'date',
  'regions',
  'source',
  'enrich',
  'force',
  'horse_id',
  'books',
  'path',
  'snapshot_at',
  'dry_run',
  'limit',
  'batch_size',
  'columns',
  'since',
  'until',
  'run_id',
];
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    '2024-06-04',
    '2024-02-30',
    '9999-12-31',
    'gb',
    'ire',
    'results',
    '../etc/passwd',
    '/etc/passwd',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer({ min: -2, max: 100_000 }),
);
const payload = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 5 }),
  fc.dictionary(fc.string({ maxLength: 12 }), value, { maxKeys: 3 }),
);

const PROGRAMMING_ERRORS = [TypeError, ReferenceError, RangeError, SyntaxError];

describe('random JSON to every task', () => {
  for (const [name, task] of Object.entries(taskList)) {
    test(`${name}: refused payloads are a job_errors row and nothing else; no crash`, async () => {
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(payload, async (p) => {
          const before = await rowCounts();
          let thrown: unknown;
          try {
            await withTaskDatabase(db.url, () => task!(p, helpers(name)));
          } catch (error) {
            thrown = error;
          }
          for (const kind of PROGRAMMING_ERRORS) expect(thrown).not.toBeInstanceOf(kind);
          const after = await rowCounts();
          const added = (after['public.job_errors'] ?? 0) - (before['public.job_errors'] ?? 0);
          expect(added).toBeLessThanOrEqual(1);
          if (added === 1) {
            refused += 1;
            expect(thrown).toBeUndefined();
            expect({ ...after, 'public.job_errors': 0 }).toEqual({ ...before, 'public.job_errors': 0 });
          }
        }),
        { numRuns: RUNS },
      );
      // The generator mostly makes payloads the task must refuse.
      expect(refused).toBeGreaterThan(RUNS / 2);
    }, 120_000);
  }
});
