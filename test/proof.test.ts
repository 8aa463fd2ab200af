import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTarget, type Target } from '../targets/index.js';
import { addressAsNumber, analyseSizePaths, boundedProof, pathSizes, proofSizes, ReferenceProofRuns, Verifier } from '../verifiers/index.js';
import { cDialectDifference } from '../verifiers/proof.js';
import { cpuDevice, tmp } from './helpers.js';

/**
 * The bounded proof on its own: it disproves different polynomials, calls a difference in the
 * rounding of a constant "tested", and says proved only when its sizes covered every
 * size-dependent path of the kernel as the compiler sees it.
 */
const dir = tmp('kloop-proof-');
const device = cpuDevice(dir);

async function prove(t: Target, source: string, name: string) {
  const workDir = join(dir, name);
  const pre = await device.preprocess({ target: t, source, flags: [], workDir });
  expect(pre.ok, pre.log).toBe(true);
  const analysis = analyseSizePaths(t, pre.text);
  const paths = pathSizes(t, analysis, { caseWork: 1e8, caseElements: 1 << 24, maxCases: 64 }, () => 1);
  return boundedProof(device, t, source, workDir, { analysis, pathSizes: 'sizes' in paths ? paths.sizes : [] });
}

const sgemm = resolveTarget('sgemm');
const jacobi = resolveTarget('jacobi');
const sum = resolveTarget('sum');
const gemm = (body: string) => `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { real acc = 0; ${body} C[i * N + j] = acc; } }`;
const stencil = (w: string) => `void jacobi(int N, int M, const real *U, real *V) {
  for (int i = 0; i < N; i++) for (int j = 0; j < M; j++)
    V[i * M + j] = ${w} * (U[(i + 1) * (M + 2) + (j + 1)] + U[i * (M + 2) + (j + 1)] + U[(i + 2) * (M + 2) + (j + 1)] + U[(i + 1) * (M + 2) + j] + U[(i + 1) * (M + 2) + (j + 2)]); }`;

describe('bounded proof', () => {
  it.each([
    ['drops the last k term', gemm('for (int k = 0; k + 1 < K; k++) acc += A[i * K + k] * B[k * N + j];')],
    ['doubles every product', gemm('for (int k = 0; k < K; k++) acc += 2 * A[i * K + k] * B[k * N + j];')],
    ['reads B transposed', gemm('for (int k = 0; k < K; k++) acc += A[i * K + k] * B[(k % N) * N + (j % K)];')],
    ['counts the first term twice', gemm('for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j]; if (K > 0) acc += A[i * K] * B[j];')],
  ])('disproves a kernel that %s', async (name, source) => {
    const r = await prove(sgemm, source, name.replace(/\W+/g, '-'));
    expect(r.status, r.reason).toBe('disproved');
  });

  it('does not speak for a kernel that branches on an address: it runs at one set of addresses', async () => {
    // (red team: a sum that sampled one element in 64 when its input started at page offset 0x10 was proved)
    const gated = `#include <stdint.h>
void sum(int N, const real *X, real *S) {
  if (((uintptr_t)X & 0xfff) == 0x10) { real s = 0; for (int i = 0; i < N; i += 64) s += X[i]; S[0] = s * 64; return; }
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
}`;
    const r = await prove(sum, gated, 'address-gated');
    expect(r.status).toBe('inapplicable');
    expect(r.reason).toMatch(/uses an address as a number/);
    expect(addressAsNumber('long v = (long)X[i]; real s = (real)N;', ['X'])).toBeUndefined();
    expect(addressAsNumber('size_t off = (size_t)(X + 4) % 64;', ['X'])).toBeDefined();
  });

  it('disproves a different stencil weight, but calls a rounding of the same constant tested', async () => {
    expect((await prove(jacobi, stencil('0.25f'), 'weight')).status).toBe('disproved');
    const r = await prove(jacobi, stencil('0.2'), 'rounding');
    expect(r.status).toBe('inapplicable');
    expect(r.reason).toMatch(/rounding of constants/);
    expect((await prove(jacobi, stencil('0.2f'), 'same')).status).toBe('proved');
  });

  it('on a target that allows no reassociation, proves only the same floating-point operations (red team 4, F2)', async () => {
    const transpose = resolveTarget('transpose');
    const move = (rhs: string) => `void transpose(int R, int C, const real *A, real *B) { for (int i = 0; i < R; i++) for (int j = 0; j < C; j++) { real a = A[i * C + j]; B[j * R + i] = ${rhs}; } }`;
    // Equal over the reals, but inf for |a| >= 2^28, and NaN for a = inf, in floats.
    for (const [name, rhs] of [
      ['overflow', '(a * 0x1p100f) * 0x1p-100f'],
      ['inf-to-nan', 'a + a * 0'],
      ['negated-twice-and-scaled', '-(-(a * 2)) * 0.5f'],
    ]) {
      const r = await prove(transpose, move(rhs), `tree-${name}`);
      expect(r.status, `${name}: ${r.reason}`).toBe('inapplicable');
      expect(r.reason).toMatch(/other floating-point operations .* allows no reassociation|scaled by a constant outside/);
    }
    // The identities IEEE arithmetic keeps: negation twice, a - b = a + (-b), a / 2 = a * 0.5.
    expect((await prove(transpose, move('-(-a)'), 'tree-neg')).status).toBe('proved');
    const swapped = `void jacobi(int N, int M, const real *U, real *V) {
  for (int i = 0; i < N; i++) for (int j = 0; j < M; j++)
    V[i * M + j] = (U[i * (M + 2) + (j + 1)] + U[(i + 1) * (M + 2) + (j + 1)] + U[(i + 2) * (M + 2) + (j + 1)] + U[(i + 1) * (M + 2) + j] + U[(i + 1) * (M + 2) + (j + 2)]) * 0.2f; }`;
    // (the first two terms swapped, and the weight on the other side: a+b = b+a, a*b = b*a)
    const r = await prove(jacobi, swapped, 'tree-commuted');
    expect(r.status, r.reason).toBe('proved');
    expect(r.reason).toMatch(/the same floating-point operations/);
    const halves = stencil('0.2f').replace('0.2f * (U[(i + 1) * (M + 2) + (j + 1)] + U[i * (M + 2) + (j + 1)]', '0.2f * ((U[(i + 1) * (M + 2) + (j + 1)] - -U[i * (M + 2) + (j + 1)])');
    expect((await prove(jacobi, halves, 'tree-minus-neg')).status).toBe('proved');
    // Regrouped terms are equal over the reals only: tested, not proved, where no reassociation is allowed...
    const regrouped = stencil('0.2f').replace('(U[(i + 1) * (M + 2) + (j + 1)] + U[i * (M + 2) + (j + 1)] + U[(i + 2) * (M + 2) + (j + 1)]', '(U[(i + 1) * (M + 2) + (j + 1)] + (U[i * (M + 2) + (j + 1)] + U[(i + 2) * (M + 2) + (j + 1)])');
    expect((await prove(jacobi, regrouped, 'tree-regrouped')).status).toBe('inapplicable');
    // ...and proved over the reals where it is.
    const sumPairs = 'void sum(int N, const real *X, real *S) { real a = 0, b = 0; int i = 0; for (; i + 2 <= N; i += 2) { a += X[i]; b += X[i + 1]; } for (; i < N; i++) a += X[i]; S[0] = a + b; }';
    const p = await prove(sum, sumPairs, 'tree-reassociated-sum');
    expect(p.status, p.reason).toBe('proved');
    expect(p.reason).toMatch(/^equal over the reals/);
  });

  it('does not prove what C and C++ read differently, double-typed constants in a float target, or scaling far from 1 (red team 5)', async () => {
    // sizeof an empty struct is 0 in C, 1 in C++: the proof would read another program.
    const dialect = await prove(sum, 'struct e {}; void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += X[i]; if (sizeof(struct e) == 0 && X[0] == 3.0f) s = 0; S[0] = s; }', 'dialect-struct');
    expect(dialect.status).toBe('inapplicable');
    expect(dialect.reason).toMatch(/uses `struct`, whose value can differ between the C build/);
    for (const [name, code] of [
      ['typeof', '__typeof__(1.0 * X[0]) s = 0;'],
      ['alignof', 'const int c = (int)__alignof__(1);'],
      ['auto', 'auto c = 1.5;'],
      ['abs', 'const int c = abs(N);'],
      ['sizeof-expr', 'const int c = (int)sizeof c;'],
      ['file', 'const int c = __FILE__[0];'],
    ])
      expect(cDialectDifference(code), name).toBeDefined();
    expect(cDialectDifference('real *t = malloc(n * sizeof(float)); long k = sizeof(unsigned long); const char *s = "struct";')).toBeUndefined();
    // A float constant held in a double: C computes the product in double (one rounding instead of two).
    const held = stencil('k').replace('void jacobi(int N, int M, const real *U, real *V) {', 'void jacobi(int N, int M, const real *U, real *V) { const double k = 0.2f;');
    const d = await prove(jacobi, held, 'double-held');
    expect(d.status, d.reason).toBe('inapplicable');
    expect(d.reason).toMatch(/other floating-point operations/);
    // Scaled by 2^90 and back: NaN once |x| >= 2^38 in floats, where the reference is finite.
    const scaled = await prove(sum, 'void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += (X[i] * 0x1p90f) * 0x1p-90f; S[0] = s; }', 'scaled');
    expect(scaled.status, scaled.reason).toBe('inapplicable');
    expect(scaled.reason).toMatch(/scaled by a constant outside \[2\^-24, 2\^24\]/);
    // A float constant of the same value stays the reference's operation.
    expect((await prove(jacobi, stencil('0.2f').replace('0.2f *', '(real)0.2f *'), 'float-cast')).status).toBe('proved');
  });

  it('proves a reordered kernel over a joint grid of its residues', async () => {
    const r = await prove(sgemm, gemm('int k = 0; for (; k + 2 <= K; k += 2) acc += A[i * K + k] * B[k * N + j] + A[i * K + k + 1] * B[(k + 1) * N + j]; for (; k < K; k++) acc += A[i * K + k] * B[k * N + j];'), 'unrolled');
    expect(r.status, r.reason).toBe('proved');
    expect(r.reason).toMatch(/period 2 jointly in M, N, K/);
    // every combination of residues mod 2 across the three dimensions was evaluated
    const combos = new Set(r.sizes.map((z) => `${z.M % 2}${z.N % 2}${z.K % 2}`));
    expect(combos.size).toBe(8);
  });

  it('does not say proved for a threshold it cannot reach, in any literal form', async () => {
    for (const [name, cond] of [
      ['hex', 'N > 0x1000'],
      ['define', 'N > LIM'],
      ['shift', 'N >= (1 << 12)'],
    ]) {
      const r = await prove(sum, `#define LIM 4096\nvoid sum(int N, const real *X, real *S) { if (${cond}) N /= 16; real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s; }`, name);
      expect(r.status, `${name}: ${r.reason}`).not.toBe('proved');
    }
  });

  it('sees the program the compiler builds: a path hidden behind a macro is still a path', async () => {
    const src = `#define TILE 3\nvoid sum(int N, const real *X, real *S) { real s = 0; int i = 0; for (; i + TILE <= N; i += TILE) s += X[i] + X[i + 1]; for (; i < N; i++) s += X[i]; S[0] = s; }`;
    const r = await prove(sum, src, 'macro-tile');
    expect(r.status, r.reason).toBe('disproved');
  });
});

describe("the proof's sizes", () => {
  it("a threshold on a side's own scale (N*N*N > 1e21) is too big a grid, counted before any is built", () => {
    const sum = resolveTarget('sum');
    const analysis = analyseSizePaths(sum, 'void sum(int N, const real *X, real *S) { float f = (float)N; int n = N; if (f * f * f > 1e21f) n = N / 2; real s = 0; for (int i = 0; i < n; i++) s += X[i]; S[0] = s; }');
    const r = proofSizes(sum, analysis, [], 1e9);
    expect('tooBig' in r ? r.tooBig : JSON.stringify(r).slice(0, 200)).toMatch(/joint grid over N up to .* has 1\.0e\+21 sizes/);
  });
});

describe('ReferenceProofRuns (the reference runs once per size, across candidates)', () => {
  const ok = { exitCode: 0, signal: null, timedOut: false, stdout: '', stderr: '', truncated: false, wallMs: 1 };
  it('runs the reference only at sizes no earlier candidate needed, and keeps the order asked for', async () => {
    const runs = new ReferenceProofRuns();
    const asked: string[][] = [];
    const run = async (sizes: string[]) => (asked.push(sizes), { r: ok, lines: sizes.map((z) => `${z} form(${z})`) });
    expect((await runs.get('ref.bin', ['1', '2', '3'], run)).lines).toEqual(['1 form(1)', '2 form(2)', '3 form(3)']);
    expect((await runs.get('ref.bin', ['3', '4', '1'], run)).lines).toEqual(['3 form(3)', '4 form(4)', '1 form(1)']);
    expect((await runs.get('ref.bin', ['4', '2'], run)).lines).toEqual(['4 form(4)', '2 form(2)']);
    expect(asked).toEqual([['1', '2', '3'], ['4']]);
    // Another binary (another reference) shares nothing.
    await runs.get('other.bin', ['1'], run);
    expect(asked.at(-1)).toEqual(['1']);
  });

  it('keeps nothing from a failed or inapplicable run, and then runs every size asked for', async () => {
    const runs = new ReferenceProofRuns();
    await runs.get('ref.bin', ['1'], async (sizes) => ({ r: ok, lines: sizes.map((z) => `${z} f`) }));
    const asked: string[][] = [];
    const failing = async (sizes: string[]) => (asked.push(sizes), asked.length === 1 ? { r: { ...ok, exitCode: 1 }, lines: [] } : { r: ok, lines: sizes.map((z) => `${z} g`) });
    expect((await runs.get('ref.bin', ['1', '2'], failing)).lines).toEqual(['1 g', '2 g']);
    expect(asked).toEqual([['2'], ['1', '2']]);
    const inapplicable = async () => ({ r: ok, lines: ['INAPPLICABLE too deep'] });
    expect((await runs.get('ref.bin', ['5'], inapplicable)).lines).toEqual(['INAPPLICABLE too deep']);
    expect((await runs.get('ref.bin', ['5'], async (sizes) => ({ r: ok, lines: sizes.map((z) => `${z} h`) }))).lines).toEqual(['5 h']);
  });
});

describe('a target whose reference branches on its data', () => {
  it('is refused a proof once, and no later candidate of it builds one', async () => {
    const softmax = resolveTarget('softmax');
    const verifier = new Verifier({ device, caseTimeoutMs: 5000 });
    const plan = await verifier.prepare(softmax, 99, join(dir, 'softmax-plan'));
    const verify = async (name: string) => {
      const workDir = join(dir, name);
      const b = await device.build({ target: softmax, source: softmax.referenceSource, flags: [], workDir });
      expect(b.ok, b.log).toBe(true);
      return verifier.verify(plan, { binary: b.binary!, source: softmax.referenceSource, flags: [], workDir });
    };
    const first = await verify('softmax-first');
    expect(first.status).toBe('tested');
    expect(first.proof?.reason).toBe('the reference: a branch depends on a symbolic value');
    expect(existsSync(join(dir, 'softmax-first', 'proof', 'candidate-proof.bin'))).toBe(true);
    const second = await verify('softmax-second');
    expect(second.status).toBe('tested');
    expect(second.proof?.reason).toMatch(/^the reference: a branch depends on a symbolic value \(.*not run again\)$/);
    expect(existsSync(join(dir, 'softmax-second', 'proof'))).toBe(false);
  });
});
