import type { Benchmark } from './lib/benchmark.ts';

export const scale: Benchmark = {
  name: 'scale',
  description: 'not written yet',
  options: (cmd) => cmd,
  run: async () => {
    throw new Error('not written yet');
  },
};
