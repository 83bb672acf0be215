// The kit's worker as its own process (`node src/cli/worker.ts …`), as a user runs it, with its memory
// sampled from /proc while it runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { watchMemory } from './measure.ts';

const WORKER_CLI = fileURLToPath(new URL('../../src/cli/worker.ts', import.meta.url));
// The V8 flags of `npm run worker` (package.json). V8 otherwise sizes its heap for the peak allocation rate
// of a fast backfill and keeps it: a young generation grown with it, and an old generation grown toward a
// limit derived from the machine's memory (4 GB here). With four jobs really running at once a one-year
// run ended at 252-270 MB resident for 75 MB live; with both limits set, 162-190 MB at the same speed.
const WORKER_NODE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=512'];

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves when the process exits: its code, peak RSS (bytes) and the tail of its output. */
  done: Promise<{ code: number | null; peakRss: number; output: string }>;
  /** Asks it to finish its running jobs and exit (SIGINT, like Ctrl-C). */
  stop(): void;
}

export function spawnWorker(
  args: readonly string[],
  env: Record<string, string>,
  opts: { echo?: boolean } = {},
): WorkerProcess {
  // Only what the worker needs: PATH plus the given variables (no inherited credentials or URLs).
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, WORKER_CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const memory = watchMemory(child.pid ?? -1);
  let output = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    if (opts.echo) process.stdout.write(text);
    output = (output + text).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const done = new Promise<{ code: number | null; peakRss: number; output: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, peakRss: memory.stop().peak, output }));
  });
  return { child, done, stop: () => child.kill('SIGINT') };
}
