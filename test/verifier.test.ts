import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CpuDevice } from '../devices/index.js';
import { resolveTarget, type Target } from '../targets/index.js';
import { compareOutputs, DISTRIBUTIONS, hiddenSizes, makeInputs, Verifier, type CheckPlan } from '../verifiers/index.js';
import { cpuDevice, tmp } from './helpers.js';

const SGEMM_OK_REORDERED = `
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < N; j++) C[i * N + j] = 0;
    for (int k = K - 1; k >= 0; k--)      /* reversed and i-k-j: a different summation order */
      for (int j = 0; j < N; j++) C[i * N + j] += A[i * K + k] * B[k * N + j];
  }
}`;

const cases: Record<string, string> = {
  'drops the last k (remainder loop missing)': `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { real acc = 0; for (int k = 0; k + 1 < K; k++) acc += A[i*K+k] * B[k*N+j]; C[i*N+j] = acc; } }`,
  'downgrades to half precision': `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { _Float16 acc = 0; for (int k = 0; k < K; k++) acc += (_Float16)A[i*K+k] * (_Float16)B[k*N+j]; C[i*N+j] = acc; } }`,
  'leaves outputs unwritten': `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) for (int j = 0; j + 1 < N; j++) { real acc = 0; for (int k = 0; k < K; k++) acc += A[i*K+k] * B[k*N+j]; C[i*N+j] = acc; } }`,
  'zeroes an input': `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M * N; i++) C[i] = 0; for (int i = 0; i < M * K; i++) ((real *)A)[i] = 0; }`,
  'writes past the end of C': `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) for (int j = 0; j <= N; j++) { real acc = 0; for (int k = 0; k < K; k++) acc += A[i*K+k] * B[k*N+(j<N?j:0)]; C[i*N+j] = acc; } }`,
  crashes: `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) { volatile real *p = 0; *p = 1; }`,
  hangs: `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) { for (volatile int i = 0; ; i++) ; }`,
};

describe('verifier', () => {
  let device: CpuDevice;
  let target: Target;
  let plan: CheckPlan;
  let verifier: Verifier;
  const dir = tmp();

  beforeAll(async () => {
    device = cpuDevice(dir);
    target = resolveTarget('sgemm');
    verifier = new Verifier({ device, caseTimeoutMs: 2000 });
    plan = await verifier.prepare(target, 1234, join(dir, 'plan'));
  });

  async function verdictOf(source: string, name: string) {
    const b = await device.build({ target, source, flags: ['-fopenmp'], workDir: join(dir, name) });
    expect(b.ok, b.log).toBe(true);
    return verifier.verify(plan, { binary: b.binary!, source, flags: ['-fopenmp'], workDir: join(dir, name) });
  }

  it('plans the target sizes plus hidden remainder sizes, each with fresh inputs', () => {
    const shown = [...new Set(plan.cases.filter((c) => !c.hidden).map((c) => JSON.stringify(c.size)))];
    expect(shown).toEqual(target.checkSizes.map((z) => JSON.stringify(z)));
    expect(new Set(plan.cases.filter((c) => c.hidden).map((c) => JSON.stringify(c.size))).size).toBe(6);
    // every distribution is drawn in every plan
    expect(new Set(plan.cases.map((c) => c.distribution)).size).toBe(DISTRIBUTIONS.length);
    expect(new Set(plan.cases.map((c) => c.seed)).size).toBe(plan.cases.length);
    expect(new Set(plan.cases.map((c) => c.distribution)).size).toBeGreaterThan(3);
  });

  it('accepts the reference and a reordered summation within the error bound', async () => {
    expect((await verdictOf(target.referenceSource, 'ref')).status).toBe('proved');
    const v = await verdictOf(SGEMM_OK_REORDERED, 'reordered');
    expect(v.status).toBe('proved');
    expect(v.maxErrorRatio).toBeLessThan(1);
  });

  it.each(Object.entries(cases))('rejects a kernel that %s, as a verdict with a reproducer', async (name, source) => {
    const v = await verdictOf(source, name.replace(/\W+/g, '-'));
    expect(v.status).toBe('rejected');
    expect(v.reproducer?.seed).toBeTypeOf('number');
    const layer = { 'zeroes an input': 'inputs', 'writes past the end of C': 'bounds', crashes: 'run', hangs: 'run' }[name] ?? 'compare';
    expect(v.layer).toBe(layer);
  });

  it('hidden sizes cover remainders and respect the limits', () => {
    const sizes = hiddenSizes(target, 5, 8);
    for (const s of sizes) for (const k of target.sizeSymbols) expect(s[k]).toBeLessThanOrEqual(target.limits[k].max);
    expect(sizes[0]).toEqual({ M: 96, N: 96, K: 96 });
  });

  it('inputs are never all zeros, even from the sparse distribution at size 1', () => {
    for (let seed = 0; seed < 50; seed++) {
      const x = makeInputs(resolveTarget('sum'), { N: 1 }, seed, 'sparse');
      expect(new Float32Array(x.arrays.get('X')!.buffer.slice(0))[0]).not.toBe(0);
    }
  });

  it('compares per element against value ± factor × bound, NaN never passes', () => {
    const t = resolveTarget('sum');
    const inputs = makeInputs(t, { N: 2 }, 1, 'normal');
    const oracle = Buffer.alloc(16);
    oracle.writeDoubleLE(1.0, 0);
    oracle.writeDoubleLE(1e-6, 8);
    const out = (v: number) => {
      const b = Buffer.alloc(8 + 4);
      inputs.arrays.get('X')!.copy(b, 0);
      b.writeFloatLE(v, 8);
      return b;
    };
    expect(compareOutputs(t, { N: 2 }, inputs.arrays, out(1.0000015), oracle).ok).toBe(true);
    expect(compareOutputs(t, { N: 2 }, inputs.arrays, out(1.00001), oracle).ok).toBe(false);
    expect(compareOutputs(t, { N: 2 }, inputs.arrays, out(NaN), oracle).ok).toBe(false);
  });
});
