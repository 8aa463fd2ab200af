import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CpuDevice } from '../devices/index.js';
import { loadTarget, type Target } from '../targets/index.js';
import { Verifier, type CheckPlan, type Verdict } from '../verifiers/index.js';
import { cpuDevice, smallTarget, tmp } from './helpers.js';

/**
 * The gate on targets with integer arrays, integer outputs and scalar parameters: legitimate
 * kernels pass, and kernels wrong only on some structures or scalar values are caught.
 */
const SPMV = 'void spmv_csr(int M, int N, int nnz, const int *rowptr, const int *colidx, const real *vals, const real *x, real *y)';
const HIST = 'void histogram(size_t n, size_t bins, const int *keys, int *counts)';
const GATHER = 'void gather(long n, long m, float alpha, const long *idx, const float *restrict x, float *restrict y)';

const kernels: Record<string, { target: string; source: string; expect: RegExp }> = {
  'spmv: rows in parallel, two accumulators': {
    target: 'spmv_csr',
    source: `${SPMV} {
  #pragma omp parallel for schedule(dynamic, 16)
  for (int i = 0; i < M; i++) {
    real s0 = 0, s1 = 0;
    int k = rowptr[i], e = rowptr[i + 1];
    for (; k + 1 < e; k += 2) { s0 += vals[k] * x[colidx[k]]; s1 += vals[k + 1] * x[colidx[k + 1]]; }
    if (k < e) s0 += vals[k] * x[colidx[k]];
    y[i] = s0 + s1;
  } }`,
    expect: /^tested: its integer arrays \(rowptr, colidx\) hold index data/,
  },
  'spmv: skips empty rows without writing them': {
    target: 'spmv_csr',
    source: `${SPMV} { for (int i = 0; i < M; i++) { if (rowptr[i] == rowptr[i + 1]) continue; real s = 0; for (int k = rowptr[i]; k < rowptr[i + 1]; k++) s += vals[k] * x[colidx[k]]; y[i] = s; } }`,
    expect: /^rejected compare/,
  },
  'spmv: assumes every row holds an entry (do-while)': {
    target: 'spmv_csr',
    source: `${SPMV} { for (int i = 0; i < M; i++) { real s = 0; int k = rowptr[i]; do { s += vals[k] * x[colidx[k]]; k++; } while (k < rowptr[i + 1]); y[i] = s; } }`,
    expect: /^rejected (compare|bounds|sanitizer|run)/,
  },
  'histogram: counts without zeroing them first': {
    target: 'histogram',
    source: `${HIST} { for (size_t i = 0; i < n; i++) counts[keys[i]]++; }`,
    expect: /^rejected compare .*counts/,
  },
  'histogram: parallel increments without atomics': {
    target: 'histogram',
    source: `${HIST} { for (size_t b = 0; b < bins; b++) counts[b] = 0;
  #pragma omp parallel for
  for (size_t i = 0; i < n; i++) counts[keys[i]]++; }`,
    expect: /^rejected race .*counts\[keys\[i\]\], an index read from data/,
  },
  'histogram: parallel increments with omp atomic': {
    target: 'histogram',
    source: `${HIST} { for (size_t b = 0; b < bins; b++) counts[b] = 0;
  #pragma omp parallel for
  for (size_t i = 0; i < n; i++) {
    #pragma omp atomic
    counts[keys[i]]++;
  } }`,
    expect: /^tested/,
  },
  'histogram: writes one past the end of its integer output': {
    target: 'histogram',
    source: `${HIST} { for (size_t b = 0; b <= bins; b++) counts[b] = 0; for (size_t i = 0; i < n; i++) counts[keys[i]]++; }`,
    expect: /^rejected bounds .*counts/,
  },
  'spmv: writes into its column indices': {
    target: 'spmv_csr',
    source: `${SPMV} { int *c = (int *)colidx; for (int t = 0; t < nnz; t++) c[t] = c[t] < 0 ? 0 : c[t]; for (int i = 0; i < M; i++) { real s = 0; for (int k = rowptr[i]; k < rowptr[i + 1]; k++) s += vals[k] * x[colidx[k]]; y[i] = s; } }`,
    expect: /^rejected inputs .*colidx/,
  },
  'gather: reads one index past the end': {
    target: 'gather',
    source: `${GATHER} { for (long i = 0; i < n; i++) { long j = idx[i + (i == n - 1)]; y[i] = alpha * x[i == n - 1 ? (j % m + m) % m : j]; } }`,
    expect: /^rejected (compare|sanitizer|bounds|run)/,
  },
  'spmv: one loop variable name for a loop over M and for a row': {
    target: 'spmv_csr',
    source: `${SPMV} {
  for (int k = 0; k < M; k++) { y[k] = 0; }
  for (int i = 0; i < M; i++) {
    for (int k = rowptr[i]; k < rowptr[i + 1]; k++) { y[i] += vals[k] * x[colidx[k]]; }
  } }`,
    expect: /^tested/,
  },
  'gather: a shortcut at the bench value of alpha': {
    target: 'gather',
    source: `${GATHER} { if (alpha == 1.5f) { for (long i = 0; i < n; i++) y[i] = x[idx[i]] * 1.5f + 1e-3f; return; } for (long i = 0; i < n; i++) y[i] = alpha * x[idx[i]]; }`,
    expect: /^rejected compare/,
  },
  'gather: indices read as int (the signature says long)': {
    target: 'gather',
    source: `void gather(long n, long m, float alpha, const int *idx, const float *restrict x, float *restrict y) { for (long i = 0; i < n; i++) y[i] = alpha * x[idx[i]]; }`,
    expect: /^rejected static its definition does not take the target's parameters: parameter 4 is "const int \*idx" but the signature says "const long \*idx"/,
  },
  'gather: spelled double in a float target': {
    target: 'gather',
    source: `void gather(long n, long m, double alpha, const long *idx, const double *restrict x, double *restrict y) { for (long i = 0; i < n; i++) y[i] = alpha * x[idx[i]]; }`,
    expect: /^rejected static .*parameter "alpha" is double but the target's precision is float/,
  },
};

const SCALE = `name: scale
signature: void scale(int n, double alpha, double beta, const double *__restrict__ x, double *__restrict y)
args:
  x: { shape: [n], role: in }
  y: { shape: [n], role: inout }
scalars:
  alpha: { range: [-3, 3] }
  beta: { value: 0.5 }
sizes:
  check: [{n: 1}, {n: 17}]
  bench: {n: 2000}
  limits: { n: { max: 64 } }
flops: 3*n
bytes: 24*n
`;

describe('the gate on integer arrays and scalar parameters', () => {
  let device: CpuDevice;
  let verifier: Verifier;
  const dir = tmp();
  const plans = new Map<string, { target: Target; plan: CheckPlan }>();

  beforeAll(async () => {
    device = cpuDevice(dir);
    verifier = new Verifier({ device, caseTimeoutMs: 4000 });
    const scaleDir = join(dir, 'scale');
    mkdirSync(scaleDir, { recursive: true });
    writeFileSync(join(scaleDir, 'target.yaml'), SCALE);
    writeFileSync(join(scaleDir, 'reference.c'), 'void scale(int n, double alpha, double beta, const double *__restrict__ x, double *__restrict y) { for (int i = 0; i < n; i++) y[i] = alpha * x[i] + beta * y[i]; }');
    const folders: Record<string, string> = {
      spmv_csr: smallTarget('spmv_csr', '{M: 500, N: 400, nnz: 4000}', dir),
      histogram: smallTarget('histogram', '{n: 20000, bins: 64}', dir),
      gather: smallTarget('gather', '{n: 5000, m: 700}', dir),
      scale: scaleDir,
    };
    await Promise.all(
      Object.entries(folders).map(async ([name, folder], i) => {
        const target = loadTarget(folder);
        plans.set(name, { target, plan: await verifier.prepare(target, 4242 + i, join(dir, `plan-${name}`)) });
      }),
    );
  }, 120_000);

  async function verdictOf(name: string, targetName: string, source: string): Promise<Verdict> {
    const { target, plan } = plans.get(targetName)!;
    const work = join(dir, name.replace(/\W+/g, '-'));
    const b = await device.build({ target, source, flags: ['-fopenmp'], workDir: work });
    expect(b.ok, b.log).toBe(true);
    return verifier.verify(plan, { binary: b.binary!, source, flags: ['-fopenmp'], workDir: work });
  }
  const summary = (v: Verdict) => (v.status === 'rejected' ? `rejected ${v.layer} ${v.reason}` : `${v.status}: ${v.proof?.reason ?? ''}`);

  it.each(Object.entries(kernels))('%s', async (name, k) => {
    const v = await verdictOf(name, k.target, k.source);
    expect(summary(v)).toMatch(k.expect);
  });

  it('each plan draws empty rows and the largest column index, and every scalar value a kernel may single out', () => {
    const { plan } = plans.get('spmv_csr')!;
    let emptyRows = 0;
    let maxIndex = 0;
    for (const c of plan.cases) {
      const r = c.inputs.get('rowptr')!;
      for (let i = 0; i < c.size.M; i++) if (r.readInt32LE(4 * i) === r.readInt32LE(4 * i + 4)) emptyRows++;
      const col = c.inputs.get('colidx')!;
      for (let k = 0; k < c.size.nnz; k++) if (col.readInt32LE(4 * k) === c.size.N - 1) maxIndex++;
    }
    expect(emptyRows).toBeGreaterThan(0);
    expect(maxIndex).toBeGreaterThan(0);
    const alphas = new Set(plans.get('scale')!.plan.cases.map((c) => c.inputs.get('alpha')!.readDoubleLE(0)));
    for (const v of [-3, 3, 0, 1, -1]) expect(alphas).toContain(v);
  });

  it('scalars are variables in the bounded proof: a reordered kernel is proved, one singling out a value is caught', async () => {
    const proved = await verdictOf(
      'scale-unrolled',
      'scale',
      'void scale(int n, double alpha, double beta, const double *restrict x, double *restrict y) { int i = 0; for (; i + 2 <= n; i += 2) { y[i] = x[i] * alpha + y[i] * beta; y[i + 1] = beta * y[i + 1] + alpha * x[i + 1]; } for (; i < n; i++) y[i] = beta * y[i] + alpha * x[i]; }',
    );
    expect(summary(proved)).toMatch(/^proved: the same floating-point operations/);
    const special = await verdictOf(
      'scale-special',
      'scale',
      'void scale(int n, double alpha, double beta, const double *restrict x, double *restrict y) { if (alpha == -1.0) { for (int i = 0; i < n; i++) y[i] = beta * y[i]; return; } for (int i = 0; i < n; i++) y[i] = alpha * x[i] + beta * y[i]; }',
    );
    expect(summary(special)).toMatch(/^rejected compare/);
  });
});
