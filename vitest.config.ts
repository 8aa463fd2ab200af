import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two test files at a time: most of a file's time is spent waiting on the processes it starts
    // (compilers, candidates, kloop runs), so two files share a 2-core machine well.
    maxWorkers: 2,
  },
});
