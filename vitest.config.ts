import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Generous: the tests wait on events, not on time; a starved machine (CI beside busy loops) only makes
    // them slower, and a limit should only ever stop a test that hangs.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    include: ['test/**/*.test.ts'],
    // Two cores here: files run in parallel, each in its own database cloned from the template. No test
    // asserts on wall-clock spacing or speed (bench/ does), so none needs the machine to itself.
    maxWorkers: 3,
  },
});
