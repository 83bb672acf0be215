import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useTestDatabase } from '../helpers/db.ts';
import { pollUntil } from '../helpers/poll.ts';

const db = useTestDatabase();
const CLI = fileURLToPath(new URL('../../src/cli/worker.ts', import.meta.url));

/**
 * `npm run worker` with these flags until it says how the schedule is set (and `also` holds), then SIGINT;
 * its output.
 */
async function runUntilScheduleLine(
  args: string[],
  also: () => Promise<boolean> = async () => true,
): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      RACING_API_USERNAME: 'u',
      RACING_API_PASSWORD: 'p',
      // Nothing is queued: no request is ever sent.
      RACING_API_BASE_URL: 'http://127.0.0.1:9/v1/',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  const exited = once(child, 'exit');
  try {
    await pollUntil(
      async () => (/schedule: .*\n/.test(stdout) && (await also())) || child.exitCode !== null,
      {
        what: 'the schedule line',
      },
    );
  } finally {
    child.kill('SIGINT');
  }
  const [code] = await exited;
  return { code: code as number | null, stdout };
}

const known = () =>
  db.sql<{ identifier: string }[]>`
    select identifier from graphile_worker._private_known_crontabs order by identifier`;

test('--no-schedule runs no crontab', async () => {
  const r = await runUntilScheduleLine(['--no-schedule']);
  expect(r.stdout).toContain('schedule: off (--no-schedule)');
  expect(r.code).toBe(0);
  expect(await known()).toEqual([]);
});

test('a lane-only worker says the schedule is off, and runs no crontab', async () => {
  const r = await runUntilScheduleLine(['--concurrency', '0', '--enrich-concurrency', '2']);
  expect(r.stdout).toContain('schedule: off (--concurrency 0');
  expect(r.code).toBe(0);
  expect(await known()).toEqual([]);
});

test('by default the worker runs the shipped crontab through graphile-worker', async () => {
  // graphile-worker registers the lines in the background once the runner is up.
  const r = await runUntilScheduleLine([], async () => (await known()).length === 5);
  expect(r.stdout).toMatch(/schedule: 5 crontab lines/);
  expect(r.code).toBe(0);
  expect((await known()).map((k) => k.identifier)).toEqual([
    'daily_racecards',
    'daily_results',
    'enrich_new_horses',
    'load_courses',
    'prune_api_requests',
  ]);
});
