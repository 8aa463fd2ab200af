import { describe, expect, it } from 'vitest';
import { CpuDevice, detectCompiler } from '../devices/index.js';
import type { RunResult, RunSpec, Sandbox } from '../sandboxes/index.js';
import { resolveTarget } from '../targets/index.js';
import { tmp } from './helpers.js';

/** A sandbox whose first runs answer with `first`, then succeed. */
function scripted(first: Partial<RunResult>[]): Sandbox & { runs: RunSpec[] } {
  const runs: RunSpec[] = [];
  return {
    name: 'scripted',
    runs,
    run: async (spec) => {
      runs.push(spec);
      const base: RunResult = { exitCode: 0, stdout: '', stderr: '', wallMs: 1, timedOut: false } as RunResult;
      return { ...base, ...(first[runs.length - 1] ?? {}) };
    },
  };
}

describe('a check the sandbox did not let write its own folder', () => {
  const target = resolveTarget('sum');
  const req = { binary: '/x/kernel.bin', target, size: { N: 10 }, input: '/x/a.in', output: '/x/a.out', workDir: '/x', timeoutMs: 1000 };
  it('is run once more (the sandbox failed, not the kernel)', async () => {
    const sandbox = scripted([{ exitCode: 4, stderr: 'kloop harness: cannot write /x/a.out: Permission denied\n' }]);
    const r = await new CpuDevice({ sandbox, compiler: detectCompiler(), cacheDir: tmp() }).check(req);
    expect(sandbox.runs).toHaveLength(2);
    expect(r.exitCode).toBe(0);
  });
  it('but a kernel that fails otherwise is not retried', async () => {
    const sandbox = scripted([{ exitCode: 4, stderr: 'kloop harness: short input for X\n' }, { exitCode: 3 }]);
    const r = await new CpuDevice({ sandbox, compiler: detectCompiler(), cacheDir: tmp() }).check(req);
    expect(sandbox.runs).toHaveLength(1);
    expect(r.exitCode).toBe(4);
  });
});
