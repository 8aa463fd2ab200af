import { describe, expect, it } from 'vitest';
import { applyMove, describeMove, enumerateMoves, sourceOf, type MoveContext, type Program } from '../agents/builtin/transforms/index.js';
import { parseC } from '../csyntax/index.js';
import { arrayLengthsC, resolveTarget } from '../targets/index.js';
import { checkOmpRaces } from '../verifiers/omp-races.js';

/**
 * The built-in writer on kernels with index arrays: every move it proposes (alone, and followed by
 * any second move) is one the race layer accepts; a loop that writes through an index read from
 * data (histogram) is never run in parallel; an unrolled loop over an unsigned bound cannot wrap.
 */
const ctx: MoveContext = { allowedFlags: ['-fopenmp', '-funroll-loops', '-ffast-math'] };

describe('built-in writer on indirect accesses', () => {
  it.each(['spmv_csr', 'histogram', 'gather'])('%s: every proposed move, and every pair, passes the race layer', (name) => {
    const t = resolveTarget(name);
    const start: Program = { unit: parseC(t.referenceSource), fn: t.fn, flags: [], moves: [], kinds: [] };
    const lengths = arrayLengthsC(t);
    let programs = 0;
    for (const m of enumerateMoves(start, ctx)) {
      const p = applyMove(start, m, ctx);
      if (!p) continue;
      for (const q of [p, ...enumerateMoves(p, ctx).map((m2) => applyMove(p, m2, ctx))]) {
        if (!q) continue;
        programs++;
        const src = sourceOf(q);
        const race = checkOmpRaces(src, t.fn, lengths);
        expect(race.ok, `${describeMove(start, m)}:\n${src}\n${JSON.stringify(race)}`).not.toBe(false);
        if (name === 'histogram') expect(src).not.toMatch(/#pragma omp (parallel for|simd)[^\n]*\n\s*for \(size_t i[^\n]*\n?[^\n]*counts\[keys\[i\]\]/);
      }
    }
    expect(programs).toBeGreaterThan(0);
  });

  it('unrolls a loop over an unsigned bound with a test that cannot wrap', () => {
    const t = resolveTarget('histogram');
    const start: Program = { unit: parseC(t.referenceSource), fn: t.fn, flags: [], moves: [], kinds: [] };
    const m = enumerateMoves(start, ctx).find((x) => /^unroll b by 4/.test(describeMove(start, x)));
    expect(m).toBeDefined();
    const src = sourceOf(applyMove(start, m!, ctx)!);
    expect(src).toContain('b + 3 < bins');
    expect(src).not.toContain('bins - 3');
  });

  const movesOf = (src: string, fn: string): string[] => {
    const p: Program = { unit: parseC(src), fn, flags: [], moves: [], kinds: [] };
    return enumerateMoves(p, ctx)
      .filter((m) => applyMove(p, m, ctx))
      .map((m) => describeMove(p, m));
  };

  it('runs in parallel loops that only read through indices (spmv rows, gather), never one that writes through them', () => {
    for (const name of ['spmv_csr', 'gather']) expect(movesOf(resolveTarget(name).referenceSource, name)).toContain('omp parallel for on i');
    expect(movesOf(resolveTarget('histogram').referenceSource, 'histogram')).not.toContain('omp parallel for on i');
  });

  it('a loop whose bounds are read from data hides nothing from the loops around it', () => {
    // j advances once per entry of row i: y[j] is not y[i + 1], and rows may collide.
    const src = `void f(int M, const int *rowptr, const float *v, float *y) { for (int i = 0; i < M; i++) { int j = i; for (int k = rowptr[i]; k < rowptr[i + 1]; k++) j++; y[j] = v[i]; } }`;
    expect(movesOf(src, 'f')).not.toContain('omp parallel for on i');
    // the same with the write at a known index is parallel
    const ok = `void f(int M, const int *rowptr, const float *v, float *y) { for (int i = 0; i < M; i++) { float s = 0; for (int k = rowptr[i]; k < rowptr[i + 1]; k++) s += v[k]; y[i] = s; } }`;
    expect(movesOf(ok, 'f')).toContain('omp parallel for on i');
  });
});
