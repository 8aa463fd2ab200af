import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const ALL = ['test/**/*.test.ts', 'test/**/*.test.tsx'];

/**
 * Files whose assertions depend on measured speed (a candidate must be kept: its speedup's 95%
 * interval must clear the bar, often for an OpenMP kernel that needs both cores). They run one at a
 * time, after the others, with no other test file running. A new file that asserts on a measured
 * speedup, a keep or a timing belongs here.
 */
const TIMED = ['test/e2e-run.test.ts', 'test/final-timing.test.ts', 'test/e2e-llm.test.ts', 'test/disk.test.ts', 'test/workload-node-sizes.test.ts'];

/**
 * The slowest files, slowest first (measured on a 2-core machine). Started first, they leave short
 * files to fill in at the end, so both workers finish together; without a results cache (a clean
 * clone) vitest would start the largest files first, and a small file that runs a minute (crash-
 * safety) would start last and run alone.
 */
const SLOW = ['cuda', 'malformed-input', 'verifier-exploits', 'crash-safety', 'transforms', 'sandbox-hostile', 'sandbox-nonroot', 'resume-launched', 'pipeline', 'model-e2e', 'plans-fleet', 'bench-check'];

class SlowFirst extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = SLOW.findIndex((name) => f.moduleId.endsWith(`/test/${name}.test.ts`));
      return i < 0 ? SLOW.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    // Limits for a hung test, not targets: a 2-core VM with 6 us system calls ran CI about 3x slower
    // than the machine these were set on, and three tests that pass there ran past 60 s.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // This CPU's profile, measured once for the whole run (test/global-setup.ts, seedProfile).
    globalSetup: ['test/global-setup.ts'],
    sequence: { sequencer: SlowFirst },
    projects: [
      // Two files at a time: most of them wait on the compilers and kernels they start.
      { extends: true, test: { name: 'parallel', include: ALL, exclude: TIMED, maxWorkers: 2 } },
      // maxWorkers 1: vitest runs these in a group of their own, after the parallel one.
      { extends: true, test: { name: 'timed', include: TIMED, maxWorkers: 1 } },
    ],
  },
});
