// Results and racecard pages built in worker threads (SimulatorOptions.pageThreads). The thread that takes
// requests stamps each one's arrival and applies the rate limit; while it builds a page (~30 ms for results,
// ~65 ms for racecards) requests that arrive wait unstamped, are then stamped late and together, and a late
// stamp closes its one-second window early: the simulator answered 429 to a client that kept the budget. A
// real API stamps on arrival. The pages are pure functions of (date, query, seed, scale), so a thread builds
// the same text.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { type PageQuery, racecardsPageJson, resultsPageJson } from './pages.ts';

export type PageJob =
  | { kind: 'results'; dates: string[]; query: PageQuery }
  | { kind: 'racecards'; date: string; query: PageQuery };

interface Settings {
  seed: string;
  scale: number;
}

/** The page's JSON text, built here. */
export function buildPage(job: PageJob, { seed, scale }: Settings): string {
  return job.kind === 'results'
    ? resultsPageJson(job.dates, job.query, seed, scale)
    : racecardsPageJson(job.date, job.query, seed, scale);
}

type Answer = { id: number; body: string } | { id: number; error: string };

export interface PageThreads {
  build(job: PageJob): Promise<string>;
  close(): Promise<void>;
}

/** `count` threads; each job goes to the thread with the fewest jobs waiting. */
export function startPageThreads(count: number, settings: Settings): PageThreads {
  const waiting = new Map<number, { resolve: (body: string) => void; reject: (error: Error) => void }>();
  const load = new Map<Worker, number>();
  let nextId = 0;
  const threads = Array.from({ length: count }, () => {
    const worker = new Worker(new URL(import.meta.url), { workerData: settings });
    load.set(worker, 0);
    worker.on('message', (answer: Answer) => {
      load.set(worker, (load.get(worker) ?? 1) - 1);
      const job = waiting.get(answer.id);
      waiting.delete(answer.id);
      if ('body' in answer) job?.resolve(answer.body);
      else job?.reject(new Error(answer.error));
    });
    // Idle threads do not keep the process alive.
    worker.unref();
    return worker;
  });
  return {
    build(job) {
      const worker = threads.reduce((a, b) => ((load.get(b) ?? 0) < (load.get(a) ?? 0) ? b : a));
      load.set(worker, (load.get(worker) ?? 0) + 1);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, job });
      });
    },
    async close() {
      await Promise.all(threads.map((t) => t.terminate()));
      for (const job of waiting.values()) job.reject(new Error('the simulator closed'));
      waiting.clear();
    },
  };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const settings = workerData as Settings;
  port.on('message', ({ id, job }: { id: number; job: PageJob }) => {
    try {
      port.postMessage({ id, body: buildPage(job, settings) } satisfies Answer);
    } catch (error) {
      port.postMessage({
        id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies Answer);
    }
  });
}
