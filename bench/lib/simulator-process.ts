// The simulator in a process of its own, at a real-time scheduling class, for the benchmarks whose figure is
// the API's view of arrival times (rate-limit, accounts). The API runs on another machine: this machine's
// load must not delay its arrival stamps (a stamp d ms late shortens the window it closes by d ms, and the
// simulator answers 429 on those stamps). In the benchmark's own process the simulator would share its
// event loop with the benchmark's polling, and a real-time main thread would still wait on V8's helper
// threads at the normal class; so the child gets SCHED_FIFO for all its threads (chrt --all-tasks), and
// the workers and PostgreSQL keep the normal class. Needs root and chrt; without them the run says so.
import { fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { SimulatorOptions, SimulatorStats } from '../../src/simulator/index.ts';

type Request = 'stats' | 'reset' | 'stop';
type Reply = { url: string } | { stats: SimulatorStats } | { done: true };

export interface SimulatorProcess {
  url: string;
  /** How the child is scheduled, for the report. */
  scheduling: string;
  stats(): Promise<SimulatorStats>;
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

export async function startSimulatorProcess(options: SimulatorOptions): Promise<SimulatorProcess> {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [first] = (await once(child, 'message')) as [Reply];
  if (!('url' in first)) throw new Error('the simulator process did not start');
  const fifo = spawnSync('chrt', ['--fifo', '--all-tasks', '--pid', '10', String(child.pid)], {
    stdio: 'ignore',
  });
  const ask = async (request: Request): Promise<Reply> => {
    const answer = once(child, 'message') as Promise<[Reply]>;
    child.send(request);
    return (await answer)[0];
  };
  return {
    url: first.url,
    scheduling:
      fifo.status === 0
        ? 'own process, real-time (SCHED_FIFO 10, all threads); workers and PostgreSQL normal'
        : "own process, normal class (needs root and chrt): arrival stamps include this machine's delays",
    async stats() {
      const reply = await ask('stats');
      if (!('stats' in reply)) throw new Error('the simulator process answered out of turn');
      return reply.stats;
    },
    async resetStats() {
      await ask('reset');
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.send('stop');
      await exited;
    },
  };
}

/** The child: starts the simulator, answers the parent's requests in order. */
async function serve(child: NodeJS.Process): Promise<void> {
  const { startSimulator } = await import('../../src/simulator/index.ts');
  const sim = await startSimulator(JSON.parse(child.argv[2] ?? '{}') as SimulatorOptions);
  const send = (reply: Reply) => child.send?.(reply);
  child.on('message', (request: Request) => {
    if (request === 'stats') send({ stats: sim.stats() });
    else if (request === 'reset') {
      sim.resetStats();
      send({ done: true });
    } else void sim.close().finally(() => process.exit(0));
  });
  // The parent gone (killed benchmark): do not linger.
  child.on('disconnect', () => void sim.close().finally(() => process.exit(0)));
  send({ url: sim.url });
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) void serve(process);
