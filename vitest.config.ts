import { defineConfig } from 'vitest/config';

const ALL = ['test/**/*.test.ts', 'test/**/*.test.tsx'];

/**
 * Files whose assertions depend on measured speed (a candidate must be kept: its speedup's 95%
 * interval must clear the bar, often for an OpenMP kernel that needs both cores). They run one at a
 * time, after the others, with no other test file running. A new file that asserts on a measured
 * speedup, a keep or a timing belongs here.
 */
const TIMED = ['test/e2e-run.test.ts', 'test/final-timing.test.ts', 'test/e2e-llm.test.ts', 'test/disk.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      // Two files at a time: most of them wait on the compilers and kernels they start.
      { extends: true, test: { name: 'parallel', include: ALL, exclude: TIMED, maxWorkers: 2 } },
      // maxWorkers 1: vitest runs these in a group of their own, after the parallel one.
      { extends: true, test: { name: 'timed', include: TIMED, maxWorkers: 1 } },
    ],
  },
});
