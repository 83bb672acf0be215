// Random argument lists to every CLI command (src/cli/*.ts, spawned as a user would), against a test database
// and without API credentials: a non-zero exit comes with exactly one line on stderr, `error: …`, and no stack
// trace ever; --help exits 0. Commands that would run until stopped when their arguments happen to be valid
// (servers, the worker, the demo, --watch, a waiting ladder backfill, a report written anywhere) always get
// one unknown option as well, at a random place, so every run ends.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();
const CLI = fileURLToPath(new URL('../../src/cli/', import.meta.url));
const RUNS = 10;
/** Spawned at once across commands: bounded, so a 2-core machine is not swamped. */
const PARALLEL = 3;

const FINITE = ['backfill', 'import-catalogue', 'import-market-books', 'migrate', 'verify'];
const LONG_RUNNING = ['api', 'demo', 'ladder-backfill', 'report', 'sim', 'status', 'worker'];

const FLAGS = [
  '--start-date',
  '--end-date',
  '--regions',
  '--source',
  '--no-enrich',
  '--test',
  '--force',
  '--watch',
  '--json',
  '--once',
  '--concurrency',
  '--poll-interval',
  '--out',
  '-o',
  '--host',
  '--port',
  '--snapshot-at',
  '--limit',
  '--batch-size',
  '--columns',
  '--since',
  '--until',
  '--resume',
  '--here',
  '--no-wait',
  '--dry-run',
  '--',
  '-',
];
const token = fc.oneof(
  fc.constantFrom(...FLAGS),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '2024-06-04',
    '2024-02-30',
    '0',
    '-1',
    '99999999',
    'gb,xx',
    'NaN',
    'home_best_back_size_l1',
  ),
  fc.integer().map(String),
  fc.tuple(fc.constantFrom(...FLAGS), fc.string({ maxLength: 8 })).map(([f, v]) => `${f}=${v}`),
);

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'kit-cli-fuzz-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

let running = 0;
const waiting: Array<() => void> = [];
async function slot(): Promise<() => void> {
  if (running >= PARALLEL) await new Promise<void>((go) => waiting.push(go));
  running += 1;
  return () => {
    running -= 1;
    waiting.shift()?.();
  };
}

async function runCli(command: string, args: string[]) {
  const release = await slot();
  try {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith('RACING_API_') && k !== 'DEBUG' && k !== 'KIT_IMPORT_DIR')
        env[k] = v;
    env.DATABASE_URL = db.url;
    env.API_DATABASE_URL = db.url;
    const child = spawn(process.execPath, [join(CLI, `${command}.ts`), ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    // A backstop only: a run still going after this long would be a command that did not stop.
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    clearTimeout(timer);
    return { code, stdout, stderr };
  } finally {
    release();
  }
}

const STACK_LINE = /^\s+at .+(\(|:\d+)/m;

describe.concurrent('random argument lists to every CLI command', () => {
  for (const command of [...FINITE, ...LONG_RUNNING]) {
    test(`${command}: one error line and a non-zero exit, never a stack trace`, async () => {
      const args = LONG_RUNNING.includes(command)
        ? fc
            .tuple(fc.array(token, { maxLength: 5 }), fc.nat(), fc.string({ minLength: 1, maxLength: 6 }))
            .map(([list, at, name]) => {
              const copy = [...list];
              copy.splice(at % (copy.length + 1), 0, `--no-such-option-${name.replace(/[^a-z]/gi, 'x')}`);
              return copy;
            })
        : fc.array(token, { maxLength: 5 });
      await fc.assert(
        fc.asyncProperty(args, async (list) => {
          const { code, stdout, stderr } = await runCli(command, list);
          const why = `${command} ${JSON.stringify(list)} → ${code}\n${stderr}`;
          expect(code, why).not.toBeNull();
          expect(stderr, why).not.toMatch(STACK_LINE);
          expect(stdout, why).not.toMatch(STACK_LINE);
          if (code !== 0) {
            const lines = stderr.trim().split('\n');
            expect(lines, why).toHaveLength(1);
            expect(lines[0], why).toMatch(/^error: \S/);
          }
        }),
        { numRuns: RUNS },
      );
    }, 900_000);

    test(`${command} --help: exit 0 and a usage text`, async () => {
      const { code, stdout } = await runCli(command, ['--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: /);
    }, 120_000);
  }
});
