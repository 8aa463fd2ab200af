import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogNames, resolveTarget, type Size, type Target } from '../targets/index.js';
import { compareOutputs, DISTRIBUTIONS, hiddenSizes, makeInputs, type Distribution } from '../verifiers/index.js';
import { drawBenchInput } from '../verifiers/gate.js';
import { spreadDistributions, TIMED_DISTRIBUTIONS } from '../verifiers/inputs.js';
import { cpuDevice, tmp } from './helpers.js';

/**
 * The input distributions: each is drawn, each has the property it is named for, the reference of
 * every shipped target (built in its working precision, as the loop's first baseline) passes its
 * own oracle's bound on every one of them, and a one-pass variance is caught by offset rows.
 */
const floats = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const layernorm = resolveTarget('layernorm');
const size = { R: 9, C: 130 };
const values = (d: Distribution, name = 'X', seed = 5) => [...floats(makeInputs(layernorm, size, seed, d).arrays.get(name)!)];

describe('input distributions', () => {
  it('spreads every distribution over a plan, even with fewer cases than distributions', () => {
    for (const seed of [0, 1, 7, 123456789]) {
      const spread = spreadDistributions(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'], seed);
      expect(new Set(spread.map((s) => s.distribution))).toEqual(new Set(DISTRIBUTIONS));
      expect(spread.slice(0, 9).map((s) => s.item)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
    }
    expect(TIMED_DISTRIBUTIONS).not.toContain('subnormal');
    expect(TIMED_DISTRIBUTIONS).not.toContain('tiny');
    // magnitudes where exp and log under- or overflow nearly everywhere: the special case, not the kernel
    expect(TIMED_DISTRIBUTIONS).not.toContain('large');
    expect(TIMED_DISTRIBUTIONS).not.toContain('heavy');
    for (let i = 0; i < 200; i++) expect(TIMED_DISTRIBUTIONS).toContain(drawBenchInput().distribution);
  });

  it('offset: the mean far from zero compared with the spread, both signs (a 2-D array alternates them by row, a 1-D one has each in one of the two)', () => {
    const x2 = values('offset', 'X', 1);
    const rowMeans = Array.from({ length: size.R }, (_, r) => x2.slice(r * size.C, (r + 1) * size.C).reduce((a, b) => a + b, 0) / size.C);
    expect(new Set(rowMeans.map(Math.sign))).toEqual(new Set([1, -1]));
    const means = [1, 2, 3, 4, 5, 6].map((seed) => {
      const x = values(seed % 2 ? 'offset' : 'negative-offset', 'gamma', seed);
      const mean = x.reduce((a, b) => a + b, 0) / x.length;
      const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
      expect(Math.abs(mean)).toBeGreaterThan(990);
      expect(Math.abs(mean)).toBeLessThan(1010);
      expect(sd).toBeGreaterThan(0.8);
      expect(sd).toBeLessThan(1.2);
      return Math.sign(mean);
    });
    expect(new Set(means)).toEqual(new Set([1, -1]));
  });

  it('positive: every value above zero, not all equal', () => {
    const x = values('positive');
    expect(x.every((v) => v > 0)).toBe(true);
    expect(new Set(x).size).toBeGreaterThan(x.length / 2);
  });

  it('constant rows: one value per row of a 2-D array, the rows differing', () => {
    const x = values('constant-rows');
    const rows = Array.from({ length: size.R }, (_, r) => x.slice(r * size.C, (r + 1) * size.C));
    for (const row of rows) expect(new Set(row).size).toBe(1);
    expect(new Set(rows.map((r) => r[0])).size).toBe(size.R);
    expect(new Set(values('constant-rows', 'gamma')).size).toBe(1); // a 1-D array is one row
  });

  it('integer: small integers, exact in float, with repeats', () => {
    const x = values('integer');
    expect(x.every((v) => Number.isInteger(v) && Math.abs(v) <= 8)).toBe(true);
    expect(new Set(x).size).toBeGreaterThan(10);
  });

  it('tiny: magnitudes near 1e-30 in float, subnormals among them; subnormal: all of them subnormal', () => {
    const x = values('tiny').filter((v) => v !== 0);
    const sub = x.filter((v) => Math.abs(v) < 2 ** -126);
    expect(sub.length).toBeGreaterThan(x.length / 10);
    expect(x.filter((v) => Math.abs(v) >= 2 ** -126).every((v) => Math.abs(v) < 1e-28)).toBe(true);
    const s = values('subnormal');
    expect(s.every((v) => v !== 0 && Math.abs(v) < 2 ** -126)).toBe(true);
    expect(new Set(s.map(Math.sign))).toEqual(new Set([1, -1]));
    const sum = resolveTarget('sum');
    const d = new Float64Array(
      makeInputs({ ...sum, real: 'double' } as Target, { N: 100 }, 3, 'tiny')
        .arrays.get('X')!
        .buffer.slice(0),
    );
    expect([...d].some((v) => v !== 0 && Math.abs(v) < 2 ** -1022)).toBe(true);
    expect([...d].filter((v) => Math.abs(v) >= 2 ** -1022).every((v) => Math.abs(v) < 1e-298)).toBe(true);
  });

  it('unit: uniform in [0, 1); large: magnitudes from 2^8 to 2^30', () => {
    const u = values('unit');
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Math.min(...u)).toBeLessThan(0.05);
    expect(Math.max(...u)).toBeGreaterThan(0.95);
    const big = values('large').map(Math.abs);
    expect(Math.max(...big)).toBeGreaterThan(2 ** 28);
    expect(Math.max(...big)).toBeLessThan(2 ** 34);
    expect(big.filter((v) => v < 2 ** 12).length).toBeGreaterThan(big.length / 10);
  });

  it('the classic five stay as they were (never all zeros)', () => {
    for (const d of ['normal', 'uniform', 'heavy', 'sparse', 'large'] as const) expect(values(d).some((v) => v !== 0)).toBe(true);
    expect(values('sparse').filter((v) => v === 0).length).toBeGreaterThan(100);
  });
});

describe('every shipped reference passes its own oracle on every distribution', () => {
  const dir = tmp('kloop-dists-');
  const device = cpuDevice(dir);

  /** Build the target's reference in its precision and its oracle; check it on every distribution. */
  async function check(t: Target, source: string, name: string, sizes: Size[], dists: readonly Distribution[]) {
    const work = join(dir, t.name, name);
    const oracle = await device.buildOracle({ target: t, workDir: join(dir, t.name) });
    expect(oracle.ok, oracle.log).toBe(true);
    const b = await device.build({ target: t, source, flags: [], workDir: work });
    expect(b.ok, b.log).toBe(true);
    const failures: string[] = [];
    for (const d of dists)
      for (const [k, z] of sizes.entries()) {
        const inputs = makeInputs(t, z, 1000 + k, d);
        const input = join(work, `${d}-${k}.in`);
        writeFileSync(input, inputs.bytes);
        const run = (binary: string, out: string) => device.check({ binary, target: t, size: z, input, output: join(work, out), workDir: work, timeoutMs: 20_000, poison: 0x7fc0dead } as Parameters<typeof device.check>[0]);
        const o = await run(oracle.binary!, `${d}-${k}.oracle`);
        expect(o.exitCode, o.stderr).toBe(0);
        const r = await run(b.binary!, `${d}-${k}.out`);
        expect(r.exitCode, r.stderr).toBe(0);
        const cmp = compareOutputs(t, z, inputs.arrays, readFileSync(join(work, `${d}-${k}.out`)), readFileSync(join(work, `${d}-${k}.oracle`)));
        if (!cmp.ok) failures.push(`${d} at ${JSON.stringify(z)}: ${JSON.stringify(cmp)}`);
      }
    return failures;
  }

  it("passes a reference that leaves a float's range on large inputs, and still catches a wrong kernel there", async () => {
    // Five large inputs multiplied: some products pass 2^128 in float (the reference's own output is
    // infinite there) while the double oracle stays finite; the oracle gives those no bound.
    const folder = join(dir, 'prod5');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, 'target.yaml'),
      [
        'name: prod5',
        'signature: void prod5(int N, const real *a, const real *b, real *y)',
        'args:',
        '  a: { shape: [N], role: in }',
        '  b: { shape: [N], role: in }',
        '  y: { shape: [N], role: out }',
        'sizes:',
        '  check: [{N: 200}]',
        '  bench: {N: 1000}',
        'flops: 4*N',
        'bytes: 12*N',
        '',
      ].join('\n'),
    );
    const reference = 'void prod5(int N, const real *a, const real *b, real *y) { for (int i = 0; i < N; i++) y[i] = a[i] * b[i] * a[i] * b[i] * a[i]; }';
    writeFileSync(join(folder, 'reference.c'), reference);
    const t = resolveTarget(folder);
    const sizes = [{ N: 200 }, { N: 997 }];
    expect(await check(t, reference, 'reference', sizes, ['large', 'normal'])).toEqual([]);
    // Off by one part in a thousand wherever the product stays in range: caught on large inputs too.
    const wrong = 'void prod5(int N, const real *a, const real *b, real *y) { for (int i = 0; i < N; i++) y[i] = a[i] * b[i] * a[i] * b[i] * a[i] * 1.001f; }';
    expect((await check(t, wrong, 'wrong', sizes, ['large'])).length).toBe(2);
  }, 60_000);

  beforeAll(() => expect(catalogNames().length).toBeGreaterThanOrEqual(7));

  it.each(catalogNames().map((n) => [n]))(
    '%s',
    async (name) => {
      const t = resolveTarget(name);
      const sizes = [...t.checkSizes, ...hiddenSizes(t, 99, 2)];
      expect(await check(t, t.referenceSource, 'reference', sizes, DISTRIBUTIONS)).toEqual([]);
    },
    60_000,
  );

  it('rejects a one-pass variance (E[x²] − E[x]²) on offset rows, and accepts the two-pass reference there', async () => {
    const onePass = `void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
  for (int r = 0; r < R; r++) {
    real s = 0, q = 0;
    for (int c = 0; c < C; c++) { s += X[r * C + c]; q += X[r * C + c] * X[r * C + c]; }
    real mean = s / C;
    real var = q / C - mean * mean;
    if (var < 0) var = 0;
    real inv = 1 / sqrtf(var + 1e-5f);
    for (int c = 0; c < C; c++) Y[r * C + c] = (X[r * C + c] - mean) * inv * gamma[c] + beta[c];
  }
}`;
    // Near zero, the same kernel is within the bound: offset rows are what tell them apart.
    expect(await check(layernorm, onePass, 'one-pass-normal', layernorm.checkSizes, ['normal'])).toEqual([]);
    const sizes = layernorm.checkSizes.filter((z) => z.C > 2);
    const failures = await check(layernorm, onePass, 'one-pass', sizes, ['offset']);
    expect(failures.length).toBe(sizes.length);
    expect(await check(layernorm, layernorm.referenceSource, 'two-pass', sizes, ['offset'])).toEqual([]);
  }, 60_000);

  it('catches a sum that drops subnormal terms on subnormal inputs, not on the classic five', async () => {
    const sum = resolveTarget('sum');
    const drops = `void sum(int N, const real *X, real *S) {
  real s = 0;
  for (int i = 0; i < N; i++) s += fabsf(X[i]) >= 1.17549435e-38f ? X[i] : 0;
  S[0] = s;
}`;
    const sizes = [{ N: 17 }, { N: 1000 }];
    expect(await check(sum, drops, 'drops-classic', sizes, ['normal', 'uniform', 'heavy', 'sparse', 'large'])).toEqual([]);
    // (Among tiny values the dropped subnormals lie below the sum's own rounding error: only all-subnormal inputs show it.)
    expect((await check(sum, drops, 'drops-subnormal', sizes, ['subnormal'])).length).toBe(2);
  }, 60_000);

  it("catches what only bounded non-negative data or a float's range shows (red team 4, D1 and F2)", async () => {
    const sum = resolveTarget('sum');
    // Halves the result when every input lies in [0, 1]: normalised data.
    const unitRange = `void sum(int N, const real *X, real *S) {
  int inside = 1; real s = 0;
  for (int i = 0; i < N; i++) { inside &= X[i] >= 0 && X[i] <= 1; s += X[i]; }
  S[0] = inside && N > 1 ? s / 2 : s;
}`;
    const sizes = [{ N: 17 }, { N: 1000 }];
    expect(await check(sum, unitRange, 'unit-range-classic', sizes, ['normal', 'uniform', 'heavy', 'sparse', 'large'])).toEqual([]);
    expect((await check(sum, unitRange, 'unit-range', sizes, ['unit'])).length).toBe(2);
    // A transpose equal over the reals that overflows a float for |a| >= 2^28.
    const transpose = resolveTarget('transpose');
    const overflows = 'void transpose(int R, int C, const real *A, real *B) { for (int i = 0; i < R; i++) for (int j = 0; j < C; j++) B[j * R + i] = (A[i * C + j] * 0x1p100f) * 0x1p-100f; }';
    expect((await check(transpose, overflows, 'overflow', [{ R: 33, C: 70 }], ['large'])).length).toBe(1);
  }, 60_000);
});
