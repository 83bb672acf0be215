import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Generous: the tests wait on events, not on time; a starved machine (CI beside busy loops) only makes
    // them slower, and a limit should only ever stop a test that hangs.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.timing.test.ts'],
          // Two cores here: files run in parallel, each in its own database cloned from the template.
          maxWorkers: 3,
        },
      },
      {
        // Tests whose assertions depend on wall-clock spacing (a strict rate limit seen from outside) run
        // last and one at a time: a CPU shared with parallel test files delays processes by hundreds of ms.
        extends: true,
        test: {
          name: 'timing',
          include: ['test/**/*.timing.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
    sequence: { groupOrder: 0 },
  },
});
