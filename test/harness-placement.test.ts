import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harnessSeed, PLACEMENTS } from '../devices/index.js';
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
    for (let p = 0; p < PLACEMENTS; p++) seen.add(await at(harnessSeed(p)));
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 4, 8, 16, 32]);
    // the same placement is the same offset, whatever the rest of the seed
    expect(await at(harnessSeed(3))).toBe(await at(harnessSeed(3)));
  });
});
