import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../targets/index.js';
import { analyseSizePaths } from '../verifiers/size-paths.js';
import { proofPlan } from '../verifiers/proof.js';
import { scanSource } from '../verifiers/static-gate.js';
import { checkThreads, CHECK_THREADS } from '../verifiers/verifier.js';

const sum = resolveTarget('sum');
const plan = (source: string) => proofPlan(sum, source, { analysis: analyseSizePaths(sum, source), pathSizes: [], flags: [] });

/**
 * Kernels a red team got past the gate (each was accepted, most labelled proved): the proof's
 * symbolic type has no bits, so a kernel that decides on its values' bytes or on a character
 * literal's size is not proved (tested only); a size hidden in an array type is refused; the check
 * cases run a thread count between 4 and 16 too. (Races: test/races-through-pointers; the kernels
 * themselves: the corpus, verifiers/corpus/hostile.)
 */
describe('the gate against a red team', () => {
  it.each([
    ['its bytes copied into an integer', 'void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += X[i]; unsigned u = 0; memcpy(&u, X, 4); if (u == 0x3f000000u) s = s + s; S[0] = s; }'],
    ['a union', 'void sum(int N, const real *X, real *S) { union { real f; unsigned u; } b; real s = 0; for (int i = 0; i < N; i++) s += X[i]; b.f = X[0]; if (b.u == 7u) s = 0; S[0] = s; }'],
    ['a pointer cast', 'void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += X[i]; if (*(unsigned *)&X[0] == 7u) s = 0; S[0] = s; }'],
    ["a character literal's size", "void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += X[i]; if (sizeof('a') != 1 && X[0] == 0.5f) s = s + s; S[0] = s; }"],
  ])('does not prove a kernel that reads %s', (_what, source) => {
    const p = plan(source);
    expect('inapplicable' in p && p.inapplicable).toMatch(/bits or bytes.*tested only/);
  });

  it('still proves a plain kernel', () => {
    expect('sizes' in plan('void sum(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s; }')).toBe(true);
  });

  it.each([
    ['a typedef of a variable length', 'void sum(int N, const real *X, real *S) { typedef char row_t[N]; unsigned long len = sizeof(row_t); S[0] = len > 5000 ? X[0] : 0; }', /typedef T name\[n\]/],
    ['sizeof of an array type of a variable length', 'void sum(int N, const real *X, real *S) { S[0] = sizeof(char[N]) > 9 ? X[0] : 0; }', /sizeof\(T\[n\]\)/],
    ['sizeof of a variable-length array', 'void sum(int N, const real *X, real *S) { char b[N + 1]; S[0] = sizeof b > 9 ? X[0] : 0; }', /takes the size of b/],
  ])('refuses %s', (_what, source, why) => {
    expect(scanSource(source)?.what).toMatch(why);
  });

  it('keeps a fixed-length local array and its size', () => {
    expect(scanSource('void sum(int N, const real *X, real *S) { real t[8] = {0}; S[0] = sizeof(t) + X[0]; }')).toBeUndefined();
  });

  it('checks each plan at a thread count between 4 and 16 as well as 1, the machine and 17', () => {
    const drawn = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const c = checkThreads(seed * 7919);
      expect(c.slice(0, CHECK_THREADS.length)).toEqual([...CHECK_THREADS]);
      const n = c.at(-1)!;
      expect(n).toBeGreaterThanOrEqual(4);
      expect(n).toBeLessThanOrEqual(16);
      drawn.add(n);
    }
    expect(drawn.size).toBe(13);
  });
});
