import { describe, expect, it } from 'vitest';
import { applyMove, describeMove, enumerateMoves, type MoveContext, type Program } from '../agents/builtin/transforms/index.js';
import { Dependences } from '../agents/builtin/transforms/dependence.js';
import { kernelOf, loopSites, sourceOf } from '../agents/builtin/transforms/index.js';
import { assignedScalars, forEachStmt, parseC } from '../csyntax/index.js';
import { resolveTarget } from '../targets/index.js';

const program = (src: string, fn = 'f'): Program => ({ unit: parseC(src), fn, flags: [], moves: [], kinds: [] });
const ctx: MoveContext = { allowedFlags: ['-fopenmp'] };
const moves = (p: Program, c: MoveContext = ctx) => enumerateMoves(p, c).map((m) => describeMove(p, m));

describe('dependence analysis: every reordering move is checked legal before it is proposed', () => {
  it('an iterated stencil: rows in parallel inside the time loop, never the time loop, no unroll-and-jam over time', () => {
    const p = program(`void f(int T, int N, real *A, real *B) {
  for (int t = 0; t < T; t++) {
    for (int i = 1; i < N - 1; i++) B[i] = 0.33f * (A[i - 1] + A[i] + A[i + 1]);
    for (int i = 1; i < N - 1; i++) A[i] = B[i];
  }
}`);
    const m = moves(p);
    expect(m.filter((x) => x === 'omp parallel for on i')).toHaveLength(2);
    expect(m).not.toContain('omp parallel for on t');
    expect(m.some((x) => /^unroll-and-jam t/.test(x))).toBe(false);
    expect(m).toContain('omp simd on i');
    // the parallel rows keep the time loop outside them
    const par = enumerateMoves(p, ctx).find((x) => describeMove(p, x) === 'omp parallel for on i')!;
    expect(sourceOf(applyMove(p, par, ctx)!)).toMatch(/for \(int t = 0; t < T; t\+\+\) \{\s*#pragma omp parallel for schedule\(static\)\s*for \(int i = 1;/);
  });

  it('a 2-D in-place iterated stencil: nothing reorders the time loop; space stays permutable, but not parallel', () => {
    const p = program(`void f(int T, int N, real *A, real *B) {
  for (int t = 0; t < T; t++)
    for (int i = 1; i < N - 1; i++)
      for (int j = 1; j < N - 1; j++)
        A[i * N + j] = 0.25f * (A[(i - 1) * N + j] + A[(i + 1) * N + j] + A[i * N + j - 1] + A[i * N + j + 1]);
}`);
    const m = moves(p);
    expect(m.some((x) => /^(omp parallel for|omp simd) on (t|i|j)$/.test(x))).toBe(false);
    expect(m.some((x) => /^unroll-and-jam t/.test(x) || /^interchange t/.test(x) || /^tile t/.test(x))).toBe(false);
    // within one time step the dependences are (1,0) and (0,1): interchange and tiling of i,j are legal
    expect(m).toContain('interchange i<->j');
    expect(m).toContain('tile i,j by 32');
  });

  it('Gauss-Seidel in place and a skewed dependence: no parallel, simd, interchange or tiling', () => {
    const gs = program('void f(int N, real *A) { for (int i = 1; i < N - 1; i++) A[i] = 0.5f * (A[i - 1] + A[i + 1]); }');
    expect(moves(gs).some((x) => /parallel|simd/.test(x))).toBe(false);
    const skew = program('void f(int N, real *A) { for (int i = 1; i < N; i++) for (int j = 0; j < N - 1; j++) A[i * N + j] = A[(i - 1) * N + j + 1] + 1; }');
    const m = moves(skew);
    expect(m.some((x) => /^interchange i<->j/.test(x))).toBe(false);
    expect(m.some((x) => /^tile/.test(x))).toBe(false);
    expect(m.some((x) => /^unroll-and-jam i/.test(x))).toBe(false);
    expect(m).toContain('omp parallel for on j');
  });

  it('distribution is refused when the second part feeds a later iteration of the first', () => {
    const p = program('void f(int N, real *A, real *B) { for (int i = 1; i < N; i++) { A[i] = B[i - 1] + 1; B[i] = A[i] * 2; } }');
    expect(moves(p).some((x) => /^distribute/.test(x))).toBe(false);
    const q = program('void f(int N, real *A, real *B, real *C) { for (int i = 1; i < N; i++) { A[i] = C[i] + 1; B[i] = A[i - 1] * 2; } }');
    expect(moves(q)).toContain('distribute loop i after statement 1');
  });

  it('an outer loop accumulating into an array is parallel with an array reduction (atax), given the array length', () => {
    const src = `void f(int M, int N, const real *A, const real *x, real *y) {
  for (int i = 0; i < M; i++) {
    real tmp = 0;
    for (int j = 0; j < N; j++) tmp += A[i * N + j] * x[j];
    for (int j = 0; j < N; j++) y[j] += A[i * N + j] * tmp;
  }
}`;
    const p = program(src);
    expect(moves(p)).not.toContain('omp parallel for on i');
    const withLengths = { ...ctx, arrayLengths: { y: '(N)', A: '(M) * (N)', x: '(N)' } };
    const par = enumerateMoves(p, withLengths).find((m) => describeMove(p, m) === 'omp parallel for on i');
    expect(par).toBeDefined();
    expect(sourceOf(applyMove(p, par!, withLengths)!)).toContain('#pragma omp parallel for schedule(static) reduction(+:y[0:(N)])');
  });

  it('fails closed: an index read from data, or a loop it cannot run, makes the loops around it dependent', () => {
    const gather = program('void f(int N, const int *idx, real *A) { for (int i = 0; i < N; i++) A[idx[i]] += 1; }');
    expect(moves(gather).some((x) => /parallel|simd/.test(x))).toBe(false);
    const fn = kernelOf(program('void f(int N, real *A) { for (int i = 0; i < N; i++) { int k = 0; while (k < i) k++; A[i] = k; } }'));
    const d = Dependences.of(fn, [{ N: 6 }]);
    expect(d.independent(loopSites(fn.body)[0].loop)).toBe(false);
  });

  it('every shipped target: the reference is analysed within the search budget, and its moves are still found', () => {
    for (const name of ['sgemm', 'conv2d', 'jacobi', 'softmax', 'layernorm', 'transpose', 'sum']) {
      const t = resolveTarget(name);
      const p = program(t.referenceSource, t.fn);
      const c = { ...ctx, sizes: t.checkSizes };
      const t0 = performance.now();
      const m = moves(p, c);
      expect(performance.now() - t0, name).toBeLessThan(2000);
      expect(
        m.some((x) => /parallel/.test(x)),
        `${name}: ${m.join(', ')}`,
      ).toBe(true);
    }
  });
});

describe('tuning moves on a parallel loop', () => {
  it('schedules and thread counts are moves of their own, on parallel loops only', () => {
    const p = program('void f(int N, real *A, const real *B) { for (int i = 0; i < N; i++) A[i] = B[i] * 2; }');
    const c = { ...ctx, cores: 4 };
    const par = enumerateMoves(p, c).find((m) => describeMove(p, m) === 'omp parallel for on i')!;
    expect(moves(p, c).some((x) => /^(schedule|num_threads)/.test(x))).toBe(false);
    const q = applyMove(p, par, c)!;
    const m = moves(q, c);
    expect(m).toEqual(expect.arrayContaining(['schedule(dynamic,4) on i', 'schedule(guided) on i', 'schedule(static,1) on i', 'num_threads(1) on i', 'num_threads(2) on i']));
    expect(m).not.toContain('schedule(static) on i');
    const dyn = enumerateMoves(q, c).find((x) => describeMove(q, x) === 'schedule(dynamic,4) on i')!;
    expect(sourceOf(applyMove(q, dyn, c)!)).toContain('#pragma omp parallel for schedule(dynamic,4)');
  });
});

describe('loop fusion', () => {
  it('fuses adjacent loops when no dependence turns around, and never through a scalar', () => {
    const ok = program('void f(int N, const real *A, real *B, real *C) { for (int i = 0; i < N; i++) B[i] = A[i] * 2; for (int i = 0; i < N; i++) C[i] = B[i] + 1; }');
    const m = enumerateMoves(ok, ctx).find((x) => describeMove(ok, x) === 'fuse loop i with the next loop');
    expect(m).toBeDefined();
    const fused = sourceOf(applyMove(ok, m!, ctx)!);
    expect(fused.match(/for \(/g)).toHaveLength(1);
    expect(fused).toMatch(/B\[i\] = A\[i\] \* 2;\s*C\[i\] = B\[i\] \+ 1;/);
    const ahead = program('void f(int N, const real *A, real *B, real *C) { for (int i = 0; i < N; i++) B[i] = A[i]; for (int i = 0; i < N - 1; i++) C[i] = B[i + 1]; }');
    expect(moves(ahead).some((x) => /^fuse/.test(x))).toBe(false);
    const sameBounds = program('void f(int N, const real *A, real *B, real *C) { for (int i = 0; i < N; i++) B[i] = A[i]; for (int i = 0; i < N; i++) C[i] = B[N - 1 - i]; }');
    expect(moves(sameBounds).some((x) => /^fuse/.test(x))).toBe(false);
    const scalar = program('void f(int N, const real *A, real *B) { real s = 0; for (int i = 0; i < N; i++) s += A[i]; for (int i = 0; i < N; i++) B[i] = s; }');
    expect(moves(scalar).some((x) => /^fuse/.test(x))).toBe(false);
  });
});

describe('composed moves are judged as composed (two the verifier rejected on unseen kernels)', () => {
  const apply = (p: Program, what: string, c: MoveContext = ctx): Program => {
    const m = enumerateMoves(p, c).find((x) => describeMove(p, x) === what);
    expect(m, `${what} among ${moves(p, c).join('; ')}`).toBeDefined();
    return applyMove(p, m!, c)!;
  };

  it('a tile loop whose tile is larger than every size the analysis ran is not judged parallel (mvt: every jj_t block adds into all of x2)', () => {
    const mvt = program('void f(int N, const real *A, const real *y2, real *x2) { for (int j = 0; j < N; j++) for (int i = 0; i < N; i++) x2[i] = x2[i] + A[j * N + i] * y2[j]; }');
    const c = { ...ctx, sizes: [{ N: 1 }, { N: 7 }, { N: 20 }] };
    expect(moves(mvt, c)).not.toContain('omp parallel for on j');
    for (const t of [16, 32, 64, 128]) {
      const tiled = apply(mvt, `tile j,i by ${t}`, c);
      const m = moves(tiled, c);
      expect(m, `tile ${t}`).not.toContain('omp parallel for on jj_t');
      expect(m, `tile ${t}`).not.toContain('omp parallel for on j');
    }
    // an unrelated loop with independent tiles stays parallel once the analysis sees two tiles of it
    const copy = program('void f(int N, const real *A, real *B) { for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) B[i * N + j] = A[j * N + i]; }');
    expect(moves(apply(copy, 'tile i,j by 16', c), c)).toContain('omp parallel for on ii_t');
  });

  it('unroll-and-jam around a simd loop carries the reduction clause to the copies it makes (atax: tmp_1 .. tmp_3)', () => {
    const atax = program(`void f(int M, int N, const real *A, const real *x, real *y) {
  for (int j = 0; j < N; j++) y[j] = 0;
  for (int i = 0; i < M; i++) {
    real tmp = 0;
    for (int j = 0; j < N; j++) tmp += A[i * N + j] * x[j];
    for (int j = 0; j < N; j++) y[j] += A[i * N + j] * tmp;
  }
}`);
    const simd = enumerateMoves(atax, ctx)
      .filter((m) => describeMove(atax, m) === 'omp simd on j')
      .map((m) => applyMove(atax, m, ctx)!)
      .find((q) => sourceOf(q).includes('reduction(+:tmp)'))!;
    expect(simd).toBeDefined();
    const jammed = enumerateMoves(simd, ctx)
      .filter((m) => /^unroll-and-jam i by 4/.test(describeMove(simd, m)))
      .map((m) => applyMove(simd, m, ctx)!);
    expect(jammed.length).toBeGreaterThan(0);
    let checked = 0;
    for (const q of jammed)
      forEachStmt(kernelOf(q).body, (st) => {
        const pragma = st.k === 'for' ? st.pragmas.find((x) => /omp simd/.test(x)) : undefined;
        if (st.k !== 'for' || !pragma) return;
        // every simd loop's clause names each scalar its body accumulates
        for (const [name] of assignedScalars(st.body)) {
          expect(pragma, sourceOf(q)).toMatch(new RegExp(`reduction\\(\\+:[^)]*\\b${name}\\b`));
          checked++;
        }
      });
    expect(checked).toBeGreaterThanOrEqual(4);
  });
});
