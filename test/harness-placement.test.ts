import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_GUARD, harnessSeed, PLACEMENT_PAGE_END, PLACEMENTS } from '../devices/index.js';
import { resolveTarget } from '../targets/index.js';
import { makeInputs } from '../verifiers/index.js';
import { cpuDevice, tmp } from './helpers.js';

describe('placements: the verifier puts every array at every alignment in some case', () => {
  it('the seed’s placement rotates each array over the offsets 4, 8, 16, 32 and 64 past a 64-byte boundary', async () => {
    const dir = tmp('kloop-placement-');
    const device = cpuDevice(dir);
    const sum = resolveTarget('sum');
    // the kernel reports where X sits (its offset within 64 bytes)
    const b = await device.build({ target: sum, source: 'void sum(int N, const real *X, real *S) { (void)N; S[0] = (real)((uintptr_t)X & 63); }', flags: [], workDir: join(dir, 'k') });
    expect(b.ok, b.log).toBe(true);
    const input = join(dir, 'x.in');
    writeFileSync(input, makeInputs(sum, { N: 100 }, 1, 'normal').bytes);
    const at = async (seed: bigint) => {
      const out = join(dir, `${seed}.out`);
      const r = await device.check({ binary: b.binary!, target: sum, size: { N: 100 }, input, output: out, workDir: join(dir, 'k'), timeoutMs: 10_000, seed });
      expect(r.exitCode, r.stderr).toBe(0);
      return readFileSync(out).readFloatLE(100 * 4);
    };
    const seen = new Set<number>();
    for (let p = 0; p < PLACEMENTS; p++) if (p !== PLACEMENT_PAGE_END) seen.add(await at(harnessSeed(p)));
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 4, 8, 16, 32]);
    // the same placement is the same offset, whatever the rest of the seed
    expect(await at(harnessSeed(3))).toBe(await at(harnessSeed(3)));
  });

  it('at the page-end placement every array ends on a page boundary, and an access past it is named', async () => {
    const dir = tmp('kloop-page-end-');
    const device = cpuDevice(dir);
    const sum = resolveTarget('sum');
    const input = join(dir, 'x.in');
    writeFileSync(input, makeInputs(sum, { N: 100 }, 1, 'normal').bytes);
    const run = async (source: string, seed: bigint) => {
      const b = await device.build({ target: sum, source, flags: [], workDir: join(dir, `k${seed}`) });
      expect(b.ok, b.log).toBe(true);
      const out = join(dir, `${seed}.out`);
      const r = await device.check({ binary: b.binary!, target: sum, size: { N: 100 }, input, output: out, workDir: join(dir, `k${seed}`), timeoutMs: 10_000, seed });
      return { r, out };
    };
    // where X and S end, within their pages
    const ends = await run('void sum(int N, const real *X, real *S) { S[0] = (real)(((uintptr_t)(X + N) & 4095) + ((uintptr_t)(S + 1) & 4095)); }', harnessSeed(PLACEMENT_PAGE_END));
    expect(ends.r.exitCode, ends.r.stderr).toBe(0);
    expect(readFileSync(ends.out).readFloatLE(100 * 4)).toBe(0);
    // reading one element past X and writing back what was read (invisible to a byte-for-byte guard check)
    const rmw = await run(
      'void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += X[i]; volatile real *p = (volatile real *)(S + 1); real t = *p; *p = t; S[0] = s + 0 * X[N]; }',
      harnessSeed(PLACEMENT_PAGE_END),
    );
    expect(rmw.r.exitCode).toBe(EXIT_GUARD);
    expect(rmw.r.stderr).toMatch(/past the end of (X|S)/);
  });
});
