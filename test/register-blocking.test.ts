import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { neighbours, registerBlock, registerBlockingDrafts } from '../agents/builtin/register-blocking.js';
import { findContractions } from '../agents/builtin/transforms/contraction.js';
import { microParamsOf, type MicroParams } from '../agents/builtin/transforms/microkernel.js';
import { kernelOf, sourceOf, type Program } from '../agents/builtin/transforms/index.js';
import { parseC } from '../csyntax/index.js';

const dir = mkdtempSync(join(tmpdir(), 'kloop-rb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const program = (src: string, fn: string): Program => ({ unit: parseC(src), fn, flags: [], moves: [], kinds: [] });
const P: MicroParams = { mr: 6, nv: 2, vb: 32, kc: 16, nc: 48, pack: true, omp: true };
/** A lane block that is not a whole number of panels (rounded up), wide vectors, no packing of contiguous operands, one thread. */
const P2: MicroParams = { mr: 5, nv: 3, vb: 64, kc: 7, nc: 40, pack: false, omp: false };

/** Kernels of the contraction class, as people write them; each with its argument list and a size formula per array. */
const KERNELS: Record<string, { src: string; call: string; arrays: Record<string, string>; out: string; scalars?: string }> = {
  'matmul i-j-k with an accumulator': {
    src: `void f(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { real acc = 0; for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j]; C[i * N + j] = acc; } }`,
    call: 'f(M, N, K, A, B, C)',
    arrays: { A: 'M*K', B: 'K*N', C: 'M*N' },
    out: 'C',
  },
  'matmul i-k-j updating C in place': {
    src: `void f(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) for (int k = 0; k < K; k++) for (int j = 0; j < N; j++) C[i * N + j] += A[i * K + k] * B[k * N + j]; }`,
    call: 'f(M, N, K, A, B, C)',
    arrays: { A: 'M*K', B: 'K*N', C: 'M*N' },
    out: 'C',
  },
  'A times A transposed (operand strided along the lanes: packed)': {
    src: `void f(int N, int K, const real *A, real *C) {
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { real s = 0; for (int k = 0; k < K; k++) s += A[i * K + k] * A[j * K + k]; C[i * N + j] = s; } }`,
    call: 'f(M, K, A, C)',
    arrays: { A: 'M*K', C: 'M*M' },
    out: 'C',
  },
  'gemm with alpha and beta (the post statement reads C: scratch)': {
    src: `void f(int M, int N, int K, real alpha, real beta, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { real acc = 0; for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j]; C[i * N + j] = alpha * acc + beta * C[i * N + j]; } }`,
    call: 'f(M, N, K, 1.5f, -0.5f, A, B, C)',
    arrays: { A: 'M*K', B: 'K*N', C: 'M*N' },
    out: 'C',
  },
  'convolution (two reduction loops, operand moving with both outer loops)': {
    src: `void f(int H, int W, int R, int S, const real *X, const real *F, real *Y) {
  for (int i = 0; i < H; i++) for (int j = 0; j < W; j++) { real acc = 0; for (int p = 0; p < R; p++) for (int q = 0; q < S; q++) acc += X[(i + p) * (W + S - 1) + (j + q)] * F[p * S + q]; Y[i * W + j] = acc; } }`,
    call: 'f(M, N, 3, 2, X, F, Y)',
    arrays: { X: '(M+2)*(N+1)', F: '6', Y: 'M*N' },
    out: 'Y',
  },
  'min-plus product (a selection with a temporary, starting from k = 1)': {
    src: `void f(int N, const real *A, const real *B, real *C) {
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { real best = A[i * N] + B[j]; for (int k = 1; k < N; k++) { real v = A[i * N + k] + B[k * N + j]; if (v < best) best = v; } C[i * N + j] = best; } }`,
    call: 'f(M, A, B, C)',
    arrays: { A: 'M*M', B: 'M*M', C: 'M*M' },
    out: 'C',
  },
  'max-times with fmaxf, updating the output in place': {
    src: `void f(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) for (int k = 0; k < K; k++) C[i * N + j] = fmaxf(C[i * N + j], A[i * K + k] * B[k * N + j]); }`,
    call: 'f(M, N, K, A, B, C)',
    arrays: { A: 'M*K', B: 'K*N', C: 'M*N' },
    out: 'C',
  },
  'column-major output, lanes along i, double accumulator': {
    src: `void f(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int j = 0; j < N; j++) for (int i = 0; i < M; i++) { double acc = 0; for (int k = 0; k < K; k++) acc += (double)A[k * M + i] * B[j * K + k]; C[j * M + i] = (real)acc; } }`,
    call: 'f(M, N, K, A, B, C)',
    arrays: { A: 'K*M', B: 'N*K', C: 'M*N' },
    out: 'C',
  },
};

function driver(k: (typeof KERNELS)[string], sizes: [number, number, number][]): string {
  const decls = Object.entries(k.arrays)
    .map(([a, n]) => `real *${a} = malloc(sizeof(real) * (${n}) + 64), *${a}2 = malloc(sizeof(real) * (${n}) + 64); for (long t = 0; t < (${n}); t++) ${a}[t] = ${a}2[t] = (real)((t * 7919 % 97) - 48) / 16;`)
    .join('\n');
  const size = (a: string) => k.arrays[a];
  return `#include <stdio.h>
#include <stdlib.h>
#include <math.h>
typedef float real;
void f(); void g();
${[0].map(() => '').join('')}
int main(void) {
  int sizes[][3] = {${sizes.map((s) => `{${s.join(',')}}`).join(',')}};
  for (unsigned c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
    int M = sizes[c][0], N = sizes[c][1], K = sizes[c][2];
    ${decls}
    ref_${k.call.replace(/\b([A-Z])\b(?=[,)])/g, (x) => (k.arrays[x] ? x : x))};
    new_${k.call.replace(/\b([A-Z])\b(?=[,)])/g, (x) => (k.arrays[x] ? `${x}2` : x))};
    for (long t = 0; t < (${size(k.out)}); t++) if (fabsf(${k.out}[t] - ${k.out}2[t]) > 1e-3f * (1 + fabsf(${k.out}[t]))) { printf("size %d %d %d: element %ld differs: %g vs %g\\n", M, N, K, t, ${k.out}[t], ${k.out}2[t]); return 1; }
  }
  puts("same");
  return 0;
}`;
}

function compileAndCompare(name: string, src: string, generated: string): string {
  const k = KERNELS[name];
  const slug = name.replace(/\W+/g, '-');
  const ref = src.replace(/void f\(/, 'void ref_f(');
  const gen = generated.replace(/void f\(/, 'void new_f(');
  writeFileSync(join(dir, `${slug}.c`), `#include <math.h>\ntypedef float real;\n${ref}\n${gen}\n`);
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [6, 16, 16],
    [7, 17, 3],
    [13, 50, 37],
    [12, 96, 33],
    [5, 3, 0],
    [0, 9, 4],
  ];
  writeFileSync(join(dir, `${slug}-main.c`), driver(k, sizes).replace('void f(); void g();', `void ref_f(); void new_f();`));
  const bin = join(dir, slug);
  execFileSync('cc', ['-O2', '-march=native', '-fopenmp', '-w', join(dir, `${slug}.c`), join(dir, `${slug}-main.c`), '-o', bin, '-lm']);
  return execFileSync(bin, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } }).trim();
}

describe('register-blocked micro-kernels for contractions', () => {
  for (const [name, k] of Object.entries(KERNELS))
    it(`${name}: recognised, generated, and equal to the reference at edge sizes`, () => {
      const p = program(k.src, 'f');
      expect(findContractions(kernelOf(p), 'float')).toHaveLength(1);
      for (const params of [P, P2]) {
        const q = registerBlock(p, params, 'float');
        expect(q).toBeDefined();
        const source = sourceOf(q!);
        expect(microParamsOf(source)).toEqual(params);
        expect(compileAndCompare(name, k.src, source), JSON.stringify(params)).toBe('same');
      }
    });

  it('refuses nests whose iterations are not independent, or whose summand it cannot vectorise', () => {
    const refused = {
      'summand reads the output (in place)': 'void f(int N, real *C, const real *A) { for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) for (int k = 0; k < N; k++) C[i * N + j] += C[k * N + j] * A[i * N + k]; }',
      'triangular bounds': 'void f(int N, real *C, const real *A) { for (int i = 0; i < N; i++) for (int j = 0; j <= i; j++) { real s = 0; for (int k = 0; k < N; k++) s += A[i * N + k] * A[j * N + k]; C[i * N + j] = s; } }',
      'a call in the summand': 'void f(int N, real *C, const real *A) { for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { real s = 0; for (int k = 0; k < N; k++) s += expf(A[i * N + k]); C[i * N + j] = s; } }',
      'output shared by two (i, j)': 'void f(int N, real *C, const real *A) { for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) for (int k = 0; k < N; k++) C[i] += A[k * N + j]; }',
      'a scalar carried across iterations': 'void f(int N, real *C, const real *A) { real t = 0; for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { real s = 0; for (int k = 0; k < N; k++) s += A[k]; t += s; C[i * N + j] = t; } }',
      'operand moving with both loops, strided along the lanes':
        'void f(int N, real *C, const real *A) { for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { real s = 0; for (int k = 0; k < N; k++) s += A[j * N + i + k]; C[i * N + j] = s; } }',
    };
    for (const [why, src] of Object.entries(refused)) expect(findContractions(kernelOf(program(src, 'f')), 'float'), why).toHaveLength(0);
  });

  it('tunes a generated kernel by regenerating its neighbours from the reference, never one tried before', () => {
    const src = KERNELS['matmul i-j-k with an accumulator'].src;
    const rc = { referenceSource: src, fn: 'f', realType: 'float' as const, vectorBytes: 32, vectorRegisters: 16, allowedFlags: ['-fopenmp'], tried: new Set<string>() };
    const first = registerBlockingDrafts({ source: src, flags: [] }, rc, 2);
    expect(first).toHaveLength(2);
    const tuned = registerBlockingDrafts({ source: first[0].source, flags: first[0].flags }, rc, 50);
    expect(tuned.length).toBeGreaterThan(5);
    const base = microParamsOf(first[0].source)!;
    for (const d of tuned) {
      const q = microParamsOf(d.source)!;
      const changed = (Object.keys(base) as (keyof MicroParams)[]).filter((key) => base[key] !== q[key]);
      expect(changed).toHaveLength(1);
    }
    expect(registerBlockingDrafts({ source: first[0].source, flags: first[0].flags }, rc, 50)).toHaveLength(0);
    expect(neighbours(base, 32).every((n) => n.vb <= 32)).toBe(true);
  });
});
