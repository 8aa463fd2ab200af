import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harnessArgs, harnessSeed } from '../devices/index.js';
import { resolveTarget } from '../targets/index.js';
import { makeInputs } from '../verifiers/index.js';
import { cpuDevice, tmp } from './helpers.js';

/**
 * The harness's memory (devices/cpu/harness.ts, kl_map): a timed run's arrays are the 4 KiB pages a
 * user's allocation gets (populated in one system call, not advised huge), so no kernel is timed
 * under other TLB conditions than a user's program; a check run's large arrays are advised huge.
 */
describe('harness memory in timed and check runs', () => {
  it('a timed run holds no transparent huge pages; a check run may', async () => {
    const t = resolveTarget('sum');
    const dir = tmp();
    const device = cpuDevice(dir);
    // S[0]: the process's AnonHugePages (kB), read while the kernel runs.
    const source = `#include <stdio.h>
void sum(int N, const real *X, real *S) {
  (void)N; (void)X;
  long kb = -1; char line[256];
  FILE *f = fopen("/proc/self/smaps_rollup", "r");
  while (f && fgets(line, sizeof line, f)) if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  S[0] = (real)kb;
}`;
    const b = await device.build({ target: t, source, flags: [], workDir: join(dir, 'c') });
    expect(b.ok, b.log).toBe(true);
    const size = { N: 1 << 24 }; // 64 MB of input
    const input = join(dir, 'in');
    writeFileSync(input, makeInputs(t, size, 1, 'normal').bytes);
    const huge = (file: string) => readFileSync(file).readFloatLE(4 * size.N);
    const timed = await device.time({ binary: b.binary!, target: t, size, input, output: join(dir, 'c', 'timed.out'), minMs: 0, maxReps: 1, workDir: join(dir, 'c'), timeoutMs: 60_000, seed: harnessSeed(0) });
    expect(timed.ok, timed.run.stderr).toBe(true);
    const thp = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
    // (where the machine gives huge pages to every process, "[always]", a user's program has them too)
    if (!/\[always\]/.test(thp)) expect(huge(join(dir, 'c', 'timed.out'))).toBe(0);
    const check = await device.check({ binary: b.binary!, target: t, size, input, output: join(dir, 'c', 'check.out'), workDir: join(dir, 'c'), timeoutMs: 60_000, seed: harnessSeed(0) });
    expect(check.exitCode, check.stderr).toBe(0);
    // Huge pages only where the machine grants them on advice ("[madvise]" or "[always]").
    if (!/\[never\]/.test(thp)) expect(huge(join(dir, 'c', 'check.out'))).toBeGreaterThan(0);
  });

  it('copies a large input into its arrays itself: no read(2) lands straight in an array', async () => {
    // (On a VM measured here, every cache line the kernel wrote through read(2) was slow to read once
    // afterwards: a gemver's first call took 100-135 ms against 15-17 ms.)
    const t = resolveTarget('sum');
    const dir = tmp();
    const device = cpuDevice(dir);
    const b = await device.build({ target: t, source: t.referenceSource, flags: [], workDir: join(dir, 'c') });
    expect(b.ok, b.log).toBe(true);
    const size = { N: 1 << 22 }; // 16 MB of input
    const input = join(dir, 'in');
    writeFileSync(input, makeInputs(t, size, 1, 'normal').bytes);
    const args = harnessArgs(t, 'time', input, '-', harnessSeed(0), 0, 1, size);
    const trace = join(dir, 'trace');
    execFileSync('strace', ['-f', '-e', 'trace=read', '-o', trace, b.binary!, ...args], { stdio: 'ignore' });
    const reads = [...readFileSync(trace, 'utf8').matchAll(/read\(\d+, .*?, (\d+)\) += (\d+)/g)].map((m) => Number(m[2]));
    expect(reads.reduce((a, n) => a + n, 0)).toBeGreaterThanOrEqual(4 * size.N);
    expect(Math.max(...reads)).toBeLessThanOrEqual(1 << 18);
  });
});
