import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/helpers/summaryReporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration suites start their own engine, registries and git servers; run files one at a time
    // so two suites never fight over the machine's two cores.
    fileParallelism: false,
  },
});
