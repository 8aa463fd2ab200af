import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../targets/index.js';
import { checkOmpRaces } from '../verifiers/omp-races.js';
import { checkSymbols, loadCorpus, parseNm } from '../verifiers/index.js';
import { cpuDevice, tmp } from './helpers.js';

const corpus = loadCorpus();
const stencil = (body: string) => `void step(int N, const real *X, real *A, real *B) {\n${body}\n}`;

describe('race analysis covers reads', () => {
  it.each([
    ['a read one ahead of the written element', `#pragma omp parallel for\nfor (int i = 0; i < N - 1; i++) A[i] = A[i + 1] + X[i];`, /reads A\[i \+ 1\], which iteration i\+1 writes/],
    ['a read of the element the previous iteration writes, before writing', `#pragma omp parallel for\nfor (int i = 1; i < N; i++) { B[i] = A[i - 1]; A[i] = X[i]; }`, /iteration i-1 writes/],
    ['a 2-D row above, in place', `#pragma omp parallel for\nfor (int i = 1; i < N; i++) for (int j = 0; j < N; j++) A[i * N + j] = 0.5f * (A[(i - 1) * N + j] + X[i * N + j]);`, /A\[\(i - 1\) \* N \+ j\], which iteration i-1 writes/],
    ['a fixed element other iterations write', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) A[i] = A[0] * X[i];`, /does not follow i/],
    ['a whole row read while rows are written', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) { real s = 0; for (int j = 0; j < N; j++) s += A[j]; A[i] = s; }`, /does not follow i/],
    ['a tiled loop reading across the tile edge', `#pragma omp parallel for\nfor (int ii = 0; ii < N; ii += 8) for (int i = ii; i < ii + 8 && i + 1 < N; i++) A[i] = A[i + 1];`, /iteration i reads A\[i \+ 1\]/],
    ['a gather from the written array', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) A[i] = A[(int)X[i]];`, /cannot separate/],
    [
      'two writes a step apart at step 1 (iteration i+1 writes A[i + 1] too)',
      `#pragma omp parallel for\nfor (int i = 0; i < N - 1; i++) { A[i] = X[i]; A[i + 1] = X[i]; }`,
      /iteration i([+-]1)? writes A\[i( \+ 1)?\], which iteration i[+-]1 writes/,
    ],
    // a write the analysis cannot place does not hide a definite collision behind it
    ['a definite collision after a scattered write', `#pragma omp parallel for\nfor (int i = 0; i < N - 1; i++) { A[(int)X[i]] = 1; A[i] = X[i]; A[i + 1] = X[i]; }`, /which iteration i[+-]1 writes/],
    ['a jam by 2 at step 1 still reads the next iteration', `#pragma omp parallel for\nfor (int i = 0; i < N - 2; i++) { A[i] = A[i + 2] + X[i]; }`, /iteration i\+2 writes/],
    ['a SIMD loop with a carried dependence', `#pragma omp simd\nfor (int i = 1; i < N; i++) A[i] = A[i - 1] + X[i];`, /iteration i-1 writes/],
  ])('rejects %s', (_name, body, what) => {
    const r = checkOmpRaces(stencil(body), 'step');
    expect(r.ok).toBe(false);
    expect((r as { what: string }).what).toMatch(what);
  });

  it.each([
    ['Jacobi between distinct arrays', `#pragma omp parallel for\nfor (int i = 1; i < N - 1; i++) B[i] = 0.5f * (X[i - 1] + X[i + 1]);`],
    ['a read of exactly the element the iteration writes', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) { A[i] = X[i]; A[i] = A[i] * 2 + A[(long)i]; B[i] += 1; }`],
    [
      'a row the iteration owns, under another inner variable',
      `#pragma omp parallel for\nfor (int r = 0; r < N; r++) { for (int c = 0; c < N; c++) A[r * N + c] = X[r * N + c]; for (int k = 0; k < N; k++) B[r * N + k] = A[r * N + k] * 2; }`,
    ],
    ['an odd element next to the even one written', `#pragma omp parallel for\nfor (int i = 0; i < N / 2; i++) A[2 * i] = A[2 * i + 1];`],
    ['reads of arrays the loop never writes', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) A[i] = X[i] + X[N - 1 - i] + B[0];`],
    // unroll-and-jam of a parallel row loop by 2: iteration i owns rows i and i + 1 (mvt, a 6-min run rejected it)
    ['a loop at step 2 writing and reading its two rows', `#pragma omp parallel for\nfor (int i = 0; i < N - 1; i += 2) for (int j = 0; j < N; j++) { A[i] = A[i] + X[j]; A[i + 1] = A[i + 1] + X[j]; }`],
    // a tiled transpose whose point loop was unrolled by 2 inside the parallel tile loop (a 10-min run rejected four)
    [
      'a tile loop in parallel over a point loop at step 2',
      `#pragma omp parallel for\nfor (int ii_t = 0; ii_t < N; ii_t += 16) for (int j = 0; j < N; j++) for (int i = ii_t; i < ii_t + 16 - 1; i += 2) { B[j * N + i] = X[i * N + j]; B[j * N + (i + 1)] = X[(i + 1) * N + j]; }`,
    ],
    ['symmetric writes a triangle owns (covariance)', `#pragma omp parallel for\nfor (int i = 0; i < N; i++) for (int j = i; j < N; j++) { B[i * N + j] = X[j]; B[j * N + i] = X[j]; }`],
  ])('accepts %s', (_name, body) => {
    expect(checkOmpRaces(stencil(body), 'step').ok).toBe(true);
  });

  describe('array-section reductions: the whole array, only added into', () => {
    const lengths = { X: 'N', A: 'N', B: 'N' };
    const rowsIntoA = (clause: string, body = 'A[j] += X[j] * (real)i;') => stencil(`#pragma omp parallel for ${clause}\nfor (int i = 0; i < N; i++) for (int j = 0; j < N; j++) ${body}`);
    it('accepts += and -= into the whole array, with or without the lower bound', () => {
      for (const clause of ['reduction(+:A[0:N])', 'reduction(+: A[ 0 : N ])', 'reduction(+:A[:N])', 'reduction(-:A[0:N])']) expect(checkOmpRaces(rowsIntoA(clause), 'step', lengths), clause).toEqual({ ok: true, parallelLoops: 1 });
      expect(checkOmpRaces(rowsIntoA('reduction(+:A[0:N])', '{ A[j] -= X[j]; B[i] = X[i]; }'), 'step', lengths).ok).toBe(true);
      // the length as the harness and the writer spell it (a cast inside the section), next to a scalar reduction
      const s = stencil('real s = 0;\n#pragma omp parallel for reduction(+:s) reduction(+:A[0:(long)N])\nfor (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { A[j] += X[j]; s += X[i]; }\nB[0] = s;');
      expect(checkOmpRaces(s, 'step', { ...lengths, A: '(long)N' })).toEqual({ ok: true, parallelLoops: 1 });
    });
    it.each([
      ['a section short of the array', 'reduction(+:A[0:N-1])', undefined, /not the whole of A/],
      ['a section offset from the start', 'reduction(+:A[1:N])', undefined, /not the whole of A/],
      ['an array whose length kloop does not know', 'reduction(+:Z[0:N])', undefined, /not the whole of Z/],
      ['a product over a section', 'reduction(*:A[0:N])', undefined, /with \*/],
      ['a read of the reduced array', 'reduction(+:A[0:N])', '{ A[j] += X[j]; B[i] = A[0]; }', /also reads or assigns/],
      ['an assignment to the reduced array', 'reduction(+:A[0:N])', 'A[j] = A[j] + X[j];', /also reads or assigns/],
      ['no clause at all', '', undefined, /does not depend on i/],
    ])('rejects %s', (_name, clause, body, what) => {
      const r = checkOmpRaces(rowsIntoA(clause, body), 'step', lengths);
      expect(r.ok).toBe(false);
      expect((r as { what: string }).what).toMatch(what);
    });
  });

  it('keeps every legitimate corpus kernel and the shipped references race-free', () => {
    for (const c of corpus.filter((x) => x.kind === 'legit')) expect(checkOmpRaces(c.source, resolveTarget(c.target).fn).ok, c.name).not.toBe(false);
    for (const n of ['sgemm', 'softmax', 'layernorm', 'jacobi', 'transpose', 'conv2d']) {
      const t = resolveTarget(n);
      const parallel = t.referenceSource.replace(/^(\s*)for \(/m, '$1#pragma omp parallel for\n$1for (');
      expect(checkOmpRaces(parallel, t.fn).ok, n).not.toBe(false);
    }
  });
});

describe('mutable static state is judged by where it lives, not by its name', () => {
  const dir = tmp('kloop-static-');
  const device = cpuDevice(dir);
  const sgemm = resolveTarget('sgemm');
  const symbolsOf = async (source: string, name: string) => {
    const b = await device.build({ target: sgemm, source, flags: ['-fopenmp'], workDir: join(dir, name) });
    expect(b.ok, b.log).toBe(true);
    const nm = await device.objectSymbols(join(dir, name));
    expect(nm.ok).toBe(true);
    return checkSymbols(parseNm(nm.text), 'sgemm');
  };
  const naive = 'for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { real s = 0; for (int k = 0; k < K; k++) s += A[i*K+k] * B[k*N+j]; C[i*N+j] = s; }';
  const sig = 'void sgemm(int M, int N, int K, const real *A, const real *B, real *C)';

  it.each([
    [
      'a cache named with a double underscore',
      `static float __cache[1024];\n${sig} { if (M * N <= 1024 && __cache[0] != 0) { for (int i = 0; i < M * N; i++) C[i] = __cache[i]; return; } ${naive} for (int i = 0; i < M * N && i < 1024; i++) __cache[i] = C[i]; }`,
      /mutable static state \(__cache\)/,
    ],
    ['a used static counter named with a double underscore', `__attribute__((used)) static int __n;\n${sig} { __n++; ${naive} }`, /mutable static state \(__n\)/],
    ['a dotted-looking function-local static', `${sig} { static int completed; completed++; ${naive} }`, /mutable static state \(completed\)/],
    ['thread-local state', `static __thread int __calls;\n${sig} { __calls++; ${naive} C[0] += 0 * __calls; }`, /mutable static state \(__calls\)/],
    ['state hidden in a writable code section', `static int __st __attribute__((section(".text.kloop,\\"awx\\",@progbits #")));\n${sig} { __st++; ${naive} C[0] += 0 * __st; }`, /mutable static state \(__st\)/],
    ['state in a section named like read-only data', `static int __ro __attribute__((section(".rodata.kloop")));\n${sig} { __ro++; ${naive} C[0] += 0 * __ro; }`, /mutable static state \(__ro\)/],
  ])('rejects %s', async (_name, source, what) => {
    const bad = await symbolsOf(source, _name.replace(/\W+/g, '-'));
    expect(bad?.what).toMatch(what);
  });

  it('accepts OpenMP outlined bodies, read-only tables and literals', async () => {
    const src = `static const real w[4] = {0.5f, 0.25f, 0.125f, 0.125f};\nstatic real helper(real x) { return x * w[1] * 4; }\n${sig} {\n#pragma omp parallel for\nfor (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { real s = 0; for (int k = 0; k < K; k++) s += helper(A[i*K+k]) * B[k*N+j] * 1.5f; C[i*N+j] = s / 1.5f; } }`;
    expect(await symbolsOf(src, 'outlined')).toBeUndefined();
  });

  it('accepts every legitimate corpus kernel compiled as kloop compiles it', async () => {
    for (const c of corpus.filter((x) => x.kind === 'legit')) {
      const t = resolveTarget(c.target);
      const b = await device.build({ target: t, source: c.source, flags: c.flags, workDir: join(dir, `legit-${c.name}`) });
      expect(b.ok, b.log).toBe(true);
      const nm = await device.objectSymbols(join(dir, `legit-${c.name}`));
      expect(checkSymbols(parseNm(nm.text), t.fn), c.name).toBeUndefined();
    }
  }, 120_000);

  it('reads nm in both BSD and System V form', () => {
    const d = tmp('kloop-nm-');
    writeFileSync(join(d, 'k.c'), 'static int __n; int f(void) { return ++__n; }');
    execFileSync('gcc', ['-O2', '-c', 'k.c', '-o', 'k.o'], { cwd: d });
    for (const args of [['k.o'], ['-f', 'sysv', 'k.o']]) {
      const syms = parseNm(execFileSync('nm', args, { cwd: d, encoding: 'utf8' }));
      expect(syms.find((s) => s.name === '__n')?.type).toBe('b');
      expect(checkSymbols(syms, 'f')?.what).toMatch(/mutable static state \(__n\)/);
    }
  });
});
