import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ['test/**/*.test.ts'],
    // Two cores here: files run in parallel, each in its own database cloned from the template. No test
    // asserts on wall-clock spacing or speed (bench/ does), so none needs the machine to itself.
    maxWorkers: 3,
  },
});
