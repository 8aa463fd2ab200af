import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CpuDevice } from '../devices/index.js';
import { loadTarget, type Target } from '../targets/index.js';
import { compareOutputs, loadCorpus, prepareGateBench, Verifier, type BenchCheck } from '../verifiers/index.js';
import { cpuDevice, smallTarget, tmp } from './helpers.js';

/**
 * The bench-size output check (verifiers/bench-check.ts) at sizes where the worst-case bound is
 * already loose (a sum of 2^20 floats: γ_n ≈ 0.07): a kernel that drops or duplicates 0.1% of its
 * work is rejected on every shipped target, legitimate reorderings pass, and a target with an
 * inout array is checked by one fresh call (its timed run evolves the data).
 */
const BENCH: Record<string, string> = {
  sum: '{N: 1048576}',
  sgemm: '{M: 64, N: 64, K: 1024}',
  softmax: '{R: 256, C: 1024}',
  layernorm: '{R: 256, C: 1024}',
  jacobi: '{N: 1024, M: 256}',
  transpose: '{R: 512, C: 512}',
  conv2d: '{H: 128, W: 128, R: 7, S: 7}',
};

/** Each drops (or duplicates) about 0.1% of its target's work. */
const WRONG: { name: string; target: string; what: string; source: string }[] = [
  {
    name: 'sum-skips',
    target: 'sum',
    what: 'skips every 1000th term',
    source: `void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) if (i % 1000 != 999) s += X[i]; S[0] = s; }`,
  },
  {
    name: 'sum-twice',
    target: 'sum',
    what: 'adds the first 0.1% of the terms twice',
    source: `void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += X[i]; for (int i = 0; i < N / 1000; i++) s += X[i]; S[0] = s; }`,
  },
  {
    name: 'sgemm-skips',
    target: 'sgemm',
    what: 'skips one k in 1000 of every dot product',
    source: `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { real acc = 0; for (int k = 0; k < K; k++) if (k % 1000 != 999) acc += A[i * K + k] * B[k * N + j]; C[i * N + j] = acc; } }`,
  },
  {
    name: 'softmax-skips',
    target: 'softmax',
    what: 'leaves one column in 1000 out of the row sum',
    source: `void softmax(int R, int C, const real *X, real *Y) {
  for (int r = 0; r < R; r++) { real m = X[r * C]; for (int c = 1; c < C; c++) if (X[r * C + c] > m) m = X[r * C + c];
    real s = 0; for (int c = 0; c < C; c++) { Y[r * C + c] = expf(X[r * C + c] - m); if (c % 1000 != 999) s += Y[r * C + c]; }
    for (int c = 0; c < C; c++) Y[r * C + c] = Y[r * C + c] / s; } }`,
  },
  {
    name: 'layernorm-skips',
    target: 'layernorm',
    what: 'leaves one column in 1000 out of the mean and the variance',
    source: `void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
  for (int r = 0; r < R; r++) { real mean = 0; for (int c = 0; c < C; c++) if (c % 1000 != 999) mean += X[r * C + c]; mean = mean / C;
    real var = 0; for (int c = 0; c < C; c++) if (c % 1000 != 999) { real d = X[r * C + c] - mean; var += d * d; } var = var / C;
    real inv = 1 / sqrtf(var + 1e-5f); for (int c = 0; c < C; c++) Y[r * C + c] = (X[r * C + c] - mean) * inv * gamma[c] + beta[c]; } }`,
  },
  {
    name: 'jacobi-skips',
    target: 'jacobi',
    what: 'drops one neighbour at one point in 1000',
    source: `void jacobi(int N, int M, const real *U, real *V) {
  for (int i = 0; i < N; i++) for (int j = 0; j < M; j++) {
    real e = (i * M + j) % 1000 == 0 ? 0 : U[(i + 1) * (M + 2) + (j + 2)];
    V[i * M + j] = 0.2f * (U[(i + 1) * (M + 2) + (j + 1)] + U[i * (M + 2) + (j + 1)] + U[(i + 2) * (M + 2) + (j + 1)] + U[(i + 1) * (M + 2) + j] + e); } }`,
  },
  {
    name: 'transpose-skips',
    target: 'transpose',
    what: 'copies the neighbouring element at one point in 1000',
    source: `void transpose(int R, int C, const real *A, real *B) {
  for (int i = 0; i < R; i++) for (int j = 0; j < C; j++) B[j * R + i] = A[i * C + ((i * C + j) % 1000 == 0 ? j ^ 1 : j)]; }`,
  },
  {
    name: 'conv2d-skips',
    target: 'conv2d',
    what: 'skips the last filter tap at one point in 20 (0.1% of the multiply-adds)',
    source: `void conv2d(int H, int W, int R, int S, const real *X, const real *F, real *Y) {
  for (int i = 0; i < H; i++) for (int j = 0; j < W; j++) { real acc = 0;
    for (int p = 0; p < R; p++) for (int q = 0; q < S; q++) if (!((i * W + j) % 20 == 0 && p == R - 1 && q == S - 1)) acc += X[(i + p) * (W + S - 1) + (j + q)] * F[p * S + q];
    Y[i * W + j] = acc; } }`,
  },
];

/** Legitimate reorderings, on top of every legitimate kernel of the exploit corpus. */
const LEGIT: { name: string; target: string; flags: string[]; source: string }[] = [
  {
    name: 'sum-pairwise-omp',
    target: 'sum',
    flags: ['-fopenmp', '-ffast-math'],
    source: `static real pw(const real *x, int n) { if (n <= 64) { real s = 0; for (int i = 0; i < n; i++) s += x[i]; return s; } int h = n / 2; return pw(x, h) + pw(x + h, n - h); }
void sum(int N, const real *X, real *S) {
  int B = 4096, nb = (N + B - 1) / B; real s = 0;
  #pragma omp parallel for reduction(+ : s)
  for (int b = 0; b < nb; b++) { int lo = b * B, n = N - lo < B ? N - lo : B; s += pw(X + lo, n); }
  S[0] = s; }`,
  },
  {
    name: 'sum-omp-simd',
    target: 'sum',
    flags: ['-fopenmp', '-ffast-math'],
    source: `void sum(int N, const real *X, real *S) { real s = 0;
  #pragma omp parallel for simd reduction(+ : s)
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s; }`,
  },
  {
    name: 'sgemm-ikj-blocked',
    target: 'sgemm',
    flags: ['-fopenmp', '-ffast-math'],
    source: `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  #pragma omp parallel for
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < N; j++) C[i * N + j] = 0;
    for (int kk = 0; kk < K; kk += 128) { int ke = kk + 128 < K ? kk + 128 : K;
      for (int k = kk; k < ke; k++) { real a = A[i * K + k]; for (int j = 0; j < N; j++) C[i * N + j] += a * B[k * N + j]; } } } }`,
  },
  {
    name: 'softmax-fast-math',
    target: 'softmax',
    flags: ['-fopenmp', '-ffast-math'],
    source: `void softmax(int R, int C, const real *X, real *Y) {
  #pragma omp parallel for
  for (int r = 0; r < R; r++) { real m = X[r * C]; for (int c = 1; c < C; c++) m = fmaxf(m, X[r * C + c]);
    real s = 0; for (int c = 0; c < C; c++) { real e = expf(X[r * C + c] - m); Y[r * C + c] = e; s += e; }
    real inv = 1 / s; for (int c = 0; c < C; c++) Y[r * C + c] *= inv; } }`,
  },
];

/** A target with an inout array: Y[r] += the sum of row r of X (16384 terms: the worst-case bound is loose). */
function inoutTarget(into: string): string {
  const dir = join(into, 'rowacc');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'target.yaml'),
    `name: rowacc
signature: void rowacc(int R, int C, const real *X, real *Y)
args:
  X: { shape: [R, C], role: in }
  Y: { shape: [R], role: inout }
sizes:
  check: [{R: 1, C: 1}, {R: 3, C: 17}]
  bench: {R: 64, C: 16384}
flops: R*C
bytes: 4*R*C
allow:
  reassociation: true
`,
  );
  writeFileSync(join(dir, 'reference.c'), `void rowacc(int R, int C, const real *X, real *Y) { for (int r = 0; r < R; r++) { real s = Y[r]; for (int c = 0; c < C; c++) s += X[r * C + c]; Y[r] = s; } }\n`);
  return dir;
}

/** sgemm in double: the oracle computes in the target's precision, so the reference's own error is about 0. */
function doubleTarget(into: string): string {
  const dir = smallTarget('sgemm', '{M: 64, N: 64, K: 1024}', join(into, 'double'));
  writeFileSync(join(dir, 'target.yaml'), readFileSync(join(dir, 'target.yaml'), 'utf8').replace(/^name: sgemm$/m, 'name: sgemm\nreal: double'));
  return dir;
}

const rows: string[] = [];

describe('bench-size output check', () => {
  const dir = tmp('kloop-bench-check-');
  let device: CpuDevice;
  const benches = new Map<string, { target: Target; verifier: Verifier; bench: BenchCheck }>();
  // The legitimate kernels of the targets above (the index targets' are checked by the corpus test).
  const corpus = loadCorpus().filter((c) => c.kind === 'legit' && c.target in BENCH);

  /** Build `source`, time it at the bench size (`calls` calls, the warm-up included), and check the timed outputs as the gate does. */
  async function timedCheck(name: string, target: string, source: string, flags: string[] = [], calls = 1) {
    const { verifier, bench, target: t } = benches.get(target)!;
    const workDir = join(dir, 'cands', name);
    const b = await device.build({ target: t, source, flags, workDir });
    expect(b.ok, b.log).toBe(true);
    const out = join(workDir, 'timed.out');
    const r = await device.time({ binary: b.binary!, target: t, size: t.benchSize, input: bench.inputFile, output: out, minMs: calls > 1 ? 1e9 : 0, maxReps: calls - 1 || 1, workDir, timeoutMs: 60_000 });
    expect(r.ok, r.run.stderr).toBe(true);
    return { checked: await verifier.checkTimedOutput(bench, out, { binary: b.binary!, workDir }), out };
  }

  beforeAll(async () => {
    device = cpuDevice(dir);
    const names = [...Object.keys(BENCH), 'rowacc', 'dgemm'];
    await Promise.all(
      names.map(async (name) => {
        const target = loadTarget(name === 'rowacc' ? inoutTarget(dir) : name === 'dgemm' ? doubleTarget(dir) : smallTarget(name, BENCH[name], dir));
        const verifier = new Verifier({ device });
        mkdirSync(join(dir, name), { recursive: true });
        // The tolerances below are calibrated on normal inputs: a fixed draw, where a run draws per run.
        benches.set(name, { target, verifier, bench: await prepareGateBench(verifier, target, join(dir, name), { seed: 1, distribution: 'normal' }) });
      }),
    );
  }, 120_000);

  afterAll(() => console.log(['| kernel | error / old tolerance | error / measured tolerance |', '|---|---|---|', ...rows].join('\n')));

  it.each(WRONG.map((w) => [w.name, w] as const))('rejects %s', async (_, w) => {
    const { checked, out } = await timedCheck(w.name, w.target, w.source);
    const { target, bench } = benches.get(w.target)!;
    const old = compareOutputs(target, target.benchSize, bench.inputs, readFileSync(out), readFileSync(bench.oracleFile));
    rows.push(`| ${w.name} (${w.what}) | ${old.ok ? `${old.maxErrorRatio.toPrecision(2)} (passed)` : 'rejected'} | ${checked.ok ? checked.maxErrorRatio : (checked.maxErrorRatio?.toPrecision(3) ?? '?')} |`);
    expect(checked.ok, `${w.name} passed the bench check`).toBe(false);
  });

  it('the worst-case bound alone lets the 0.1% drop of a 2^20-term sum through (why the tolerance is measured)', async () => {
    const { out } = await timedCheck('sum-skips-old', 'sum', WRONG[0].source);
    const { target, bench } = benches.get('sum')!;
    expect(compareOutputs(target, target.benchSize, bench.inputs, readFileSync(out), readFileSync(bench.oracleFile)).ok).toBe(true);
  });

  it.each([...LEGIT.map((l) => [l.name, l] as const), ...corpus.map((c) => [c.name, c] as const)])('passes %s', async (name, l) => {
    const { checked } = await timedCheck(name, l.target, l.source, l.flags);
    rows.push(`| ${name} (legit) | | ${checked.ok ? checked.maxErrorRatio.toPrecision(3) : 'REJECTED'} |`);
    expect(checked.ok, checked.ok ? '' : checked.reason).toBe(true);
  });

  describe('a double target (the reference is as exact as the oracle)', () => {
    const dot = (body: string) => `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { ${body} } }`;
    it('passes dot products summed in another order (two accumulators, FMA contracted)', async () => {
      const src = dot(
        'real a0 = 0, a1 = 0; int k = 0; for (; k + 1 < K; k += 2) { a0 = fma(A[i * K + k], B[k * N + j], a0); a1 = fma(A[i * K + k + 1], B[(k + 1) * N + j], a1); } if (k < K) a0 += A[i * K + k] * B[k * N + j]; C[i * N + j] = a0 + a1;',
      );
      const { checked } = await timedCheck('dgemm-two-accumulators', 'dgemm', src);
      rows.push(`| dgemm-two-accumulators (legit, double) | | ${checked.ok ? checked.maxErrorRatio.toPrecision(3) : 'REJECTED'} |`);
      expect(checked.ok, checked.ok ? '' : checked.reason).toBe(true);
    });
    it('rejects one that skips one k in 1000', async () => {
      const src = dot('real acc = 0; for (int k = 0; k < K; k++) if (k % 1000 != 999) acc += A[i * K + k] * B[k * N + j]; C[i * N + j] = acc;');
      const { checked } = await timedCheck('dgemm-skips', 'dgemm', src);
      expect(checked.ok).toBe(false);
    });
  });

  it('transpose is held to exact values (its bound is 0)', () => {
    expect(benches.get('transpose')!.bench.tolerance.q).toBe(0);
  });

  describe('inout target (one fresh call on the bench input)', () => {
    it('passes a legitimate kernel although its timed run evolved the data', async () => {
      const src = `void rowacc(int R, int C, const real *X, real *Y) {
  #pragma omp parallel for
  for (int r = 0; r < R; r++) { real s = 0;
    #pragma omp simd reduction(+ : s)
    for (int c = 0; c < C; c++) s += X[r * C + c];
    Y[r] += s; } }`;
      const { checked, out } = await timedCheck('rowacc-legit', 'rowacc', src, ['-fopenmp', '-ffast-math'], 4);
      expect(checked.ok, checked.ok ? '' : checked.reason).toBe(true);
      // The timed output itself is four calls' worth of accumulation: not what one call gives.
      const { target, bench } = benches.get('rowacc')!;
      expect(compareOutputs(target, target.benchSize, bench.inputs, readFileSync(out), readFileSync(bench.oracleFile)).ok).toBe(false);
    });

    it('rejects a kernel that skips 0.1% of the terms', async () => {
      const src = `void rowacc(int R, int C, const real *X, real *Y) { for (int r = 0; r < R; r++) { real s = Y[r]; for (int c = 0; c < C; c++) if (c % 1000 != 999) s += X[r * C + c]; Y[r] = s; } }`;
      const { checked } = await timedCheck('rowacc-skips', 'rowacc', src);
      rows.push(`| rowacc-skips (inout, skips every 1000th term) | | ${checked.ok ? checked.maxErrorRatio : checked.maxErrorRatio?.toPrecision(3)} |`);
      expect(checked.ok).toBe(false);
    });

    it('needs the binary: a timed output alone is not checked', async () => {
      const { verifier, bench } = benches.get('rowacc')!;
      expect((await verifier.checkTimedOutput(bench, join(dir, 'nowhere.out'))).ok).toBe(false);
    });
  });
});
