import { describe, expect, it } from 'vitest';
import { LayeredSandbox, ProcessSandbox, probeSandbox } from '../sandboxes/index.js';
import { tmp } from './helpers.js';

/**
 * Timed runs start ahead of everything else on the machine (Limits.priority): on two cores, kloop's
 * own thread beside a two-thread kernel stalled its OpenMP barriers. Raising a priority needs root.
 */
describe('a run at a raised priority', () => {
  const root = process.getuid?.() === 0;
  it.each([
    ['every layer', () => new LayeredSandbox({ probe: probeSandbox(), uidBase: 64400 })],
    ['the process layer', () => new ProcessSandbox()],
  ])('%s: the process runs at the niceness asked for, and at the default without', async (_name, make) => {
    const sandbox = make();
    const niceness = async (priority?: number) => {
      const r = await sandbox.run({ cmd: '/bin/sh', args: ['-c', 'cut -d" " -f19 /proc/self/stat'], cwd: tmp('kloop-nice-'), limits: { timeoutMs: 10_000, ...(priority === undefined ? {} : { priority }) } });
      expect(r.exitCode, r.stderr).toBe(0);
      return Number(r.stdout.trim());
    };
    expect(await niceness()).toBe(0);
    expect(await niceness(-7)).toBe(root ? -7 : 0);
  });
});
