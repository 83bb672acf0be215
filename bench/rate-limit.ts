import type { Benchmark } from './lib/benchmark.ts';

export const rateLimit: Benchmark = {
  name: 'rate-limit',
  description: 'not written yet',
  options: (cmd) => cmd,
  run: async () => {
    throw new Error('not written yet');
  },
};
