import type { Benchmark } from './lib/benchmark.ts';

export const ingest: Benchmark = {
  name: 'ingest',
  description: 'not written yet',
  options: (cmd) => cmd,
  run: async () => {
    throw new Error('not written yet');
  },
};
