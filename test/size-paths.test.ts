import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mainFileLines, prelude } from '../devices/index.js';
import { elementCount, resolveTarget, type Size, type Target } from '../targets/index.js';
import { analyseSizePaths, pathSizes } from '../verifiers/index.js';
import { tmp } from './helpers.js';

/** The kernel as the compiler sees it (gcc -E with kloop's prelude), as the verifier analyses it. */
function preprocessed(t: Target, source: string): string {
  const dir = tmp('kloop-sp-');
  writeFileSync(join(dir, 'kloop_prelude.h'), prelude(t));
  writeFileSync(join(dir, 'kernel.c'), source);
  const out = execFileSync('cc', ['-E', '-O3', '-std=gnu11', '-fopenmp', '-include', 'kloop_prelude.h', 'kernel.c'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
  return mainFileLines(out, 'kernel.c');
}

const elements = (t: Target) => (z: Size) => t.arrays.reduce((n, a) => n + elementCount(a, z), 0);
const budget = { caseWork: 1e8, caseElements: 1 << 24, maxCases: 64 };

function sizesFor(t: Target, body: string, head = '') {
  const src = `${head}\nvoid ${t.fn}(${t.signature.slice(t.signature.indexOf('(') + 1, t.signature.lastIndexOf(')'))}) {\n${body}\n}\n`;
  const a = analyseSizePaths(t, preprocessed(t, src));
  return { a, r: pathSizes(t, a, budget, elements(t)) };
}

const sum = resolveTarget('sum');
const sgemm = resolveTarget('sgemm');
const transpose = resolveTarget('transpose');

/** Does some size put dimension `s` at or just above `v` (the far side of a threshold)? */
const reaches = (sizes: Size[], s: string, v: number) => sizes.some((z) => z[s] > v && z[s] <= v + 3);
const below = (sizes: Size[], s: string, v: number) => sizes.some((z) => z[s] < v && z[s] >= v - 2);

describe('size-dependent paths, read after preprocessing', () => {
  const forms: [string, string, string, number][] = [
    ['decimal', 'if (N > 4096) N /= 16;', '', 4096],
    ['hex', 'if (N > 0x1000) N /= 16;', '', 4096],
    ['octal', 'if (N > 010000) N /= 16;', '', 4096],
    ['#define', 'if (N > LIM) N /= 16;', '#define LIM 4096', 4096],
    ['nested macros', 'if (N > LIM) N /= 16;', '#define BASE 1024\n#define LIM (BASE * 4)', 4096],
    ['enum', 'if (N > LIM) N /= 16;', 'enum { LIM = 4096 };', 4096],
    ['static const', 'if (N > lim) N /= 16;', 'static const int lim = 4096;', 4096],
    ['local const', 'const int lim = 1 << 12; if (N > lim) N /= 16;', '', 4096],
    ['shift of a constant', 'if (N > (1 << 12)) N /= 16;', '', 4096],
    ['sizeof', 'if (N > (int)(sizeof(real) * 1024)) N /= 16;', '', 4096],
    ['cast and float', 'if ((float)N > 4095.5f) N /= 16;', '', 4095],
    ['scaled float', 'if (N * 0.5 > 2048.0) N /= 16;', '', 4096],
    ['division', 'if (N / 4097 > 0) N /= 16;', '', 4096],
    ['right shift', 'if (N >> 12) N /= 16;', '', 4095],
    ['mask', 'if (N & 0x1000) N /= 16;', '', 4095],
    ['table', 'if (N > tab[1]) N /= 16;', 'static const int tab[] = {7, 4096};', 4096],
    ['derived local', 'int half = N / 2; if (half > 2048) N /= 16;', '', 4097],
    ['libm', 'if (sqrtf((float)N) > 64.0f) N /= 16;', '', 4096],
    ['switch', 'switch (N) { case 4097: N = 1; break; default: break; }', '', 4096],
  ];
  it.each(forms)('%s threshold yields sizes on both sides', (_name, body, head, v) => {
    const { r } = sizesFor(sum, `${body}\n real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s;`, head);
    expect('sizes' in r, JSON.stringify(r)).toBe(true);
    if (!('sizes' in r)) return;
    expect(reaches(r.sizes, 'N', v), JSON.stringify(r.sizes)).toBe(true);
    expect(below(r.sizes, 'N', v + 1), JSON.stringify(r.sizes)).toBe(true);
  });

  it('a loop index compared with a constant puts the bound past it', () => {
    const { r } = sizesFor(sum, 'real s = 0; for (int i = 0; i < N; i++) if (i < 6000) s += X[i]; S[0] = s;');
    expect('sizes' in r && r.sizes.some((z) => z.N >= 6002)).toBe(true);
  });

  it('a residue of a large prime is tested at its multiples', () => {
    const { r } = sizesFor(sum, 'real s = 0; int n = N % 1009 == 0 ? N / 2 : N; for (int i = 0; i < n; i++) s += X[i]; S[0] = s;');
    expect('sizes' in r && r.sizes.some((z) => z.N === 1009) && r.sizes.some((z) => z.N === 2018)).toBe(true);
  });

  it('a product of sizes is crossed along every axis and on the diagonal', () => {
    const { r } = sizesFor(transpose, 'if (R * C > 10000) { B[0] = 0; return; } for (int i = 0; i < R; i++) for (int j = 0; j < C; j++) B[j * R + i] = A[i * C + j];');
    expect('sizes' in r).toBe(true);
    if (!('sizes' in r)) return;
    const prods = r.sizes.map((z) => z.R * z.C);
    expect(prods.some((p) => p > 10000)).toBe(true);
    expect(prods.some((p) => p <= 10000 && p > 9000)).toBe(true);
    expect(r.sizes.some((z) => z.R === z.C && z.R * z.C > 10000)).toBe(true);
  });

  it('a joint condition runs with every dimension past its threshold together', () => {
    const { r } = sizesFor(sgemm, 'if (M >= 40 && N >= 40 && K >= 40) { C[0] = 0; return; } for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { real a = 0; for (int k = 0; k < K; k++) a += A[i*K+k] * B[k*N+j]; C[i*N+j] = a; }');
    expect('sizes' in r && r.sizes.some((z) => z.M >= 40 && z.N >= 40 && z.K >= 40)).toBe(true);
  });

  it('a threshold computed at run time is refused (fail closed)', () => {
    const { r } = sizesFor(sum, 'int lim = 1; for (int k = 0; k < 12; k++) lim *= 2; if (N > lim) N /= 16; real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s;');
    expect('untestable' in r && r.untestable).toMatch(/cannot/);
  });

  it('a threshold beyond the check budget is refused with the reason', () => {
    const { r } = sizesFor(sgemm, 'if (M > 600 && N > 600) { C[0] = 0; return; } for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { real a = 0; for (int k = 0; k < K; k++) a += A[i*K+k] * B[k*N+j]; C[i*N+j] = a; }');
    expect('sizes' in r).toBe(true); // each alone, with the other dimensions small, fits the budget
    const big = sizesFor(sum, 'if (N > 200000000) N /= 16; real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s;').r;
    expect('untestable' in big ? big.untestable : '').toMatch(/above the check budget/);
    const joint = sizesFor(sgemm, 'int n = M * N; if (n > 1000000) { C[0] = 0; return; } for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) { real a = 0; for (int k = 0; k < K; k++) a += A[i*K+k] * B[k*N+j]; C[i*N+j] = a; }').r;
    expect('sizes' in joint && joint.sizes.some((z) => z.M * z.N > 1e6)).toBe(true);
  });

  it('a narrowing cast is a mask in disguise', () => {
    const { r } = sizesFor(transpose, 'if ((unsigned char)R == 0) return; for (int i = 0; i < R; i++) for (int j = 0; j < C; j++) B[j * R + i] = A[i * C + j];');
    expect('sizes' in r && r.sizes.some((z) => z.R === 256)).toBe(true);
  });

  it('data comparisons and plain loops yield no paths', () => {
    const { a } = sizesFor(sum, 'real s = 0; for (int i = 0; i < N; i++) { if (X[i] > 1e30f) continue; s += X[i]; } S[0] = s;');
    expect(a.paths).toEqual([]);
    expect(a.opaque).toEqual([]);
  });

  it('loop steps are periods; array subscripts are not', () => {
    const { a } = sizesFor(sum, 'real p[8] = {0}; int i = 0; for (; i + 8 <= N; i += 8) for (int l = 0; l < 8; l++) p[l] += X[i + l]; real s = p[0]+p[1]+p[2]+p[3]+p[4]+p[5]+p[6]+p[7]; for (; i < N; i++) s += X[i]; S[0] = s;');
    expect(a.periods).toEqual([8]);
  });
});

describe('size-dependent paths that hide their constant', () => {
  const body = 'real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s;';
  it.each([
    ['sizeof an array', 'char buf[4096]; if (N > (int)sizeof buf) N /= 16;', 4096],
    ['libm of a constant', 'if (N > (int)sqrt(16777216.0)) N /= 16;', 4096],
  ])('%s is a threshold with sizes on both sides', (_n, pre, v) => {
    const { r } = sizesFor(sum, `${pre}\n${body}`);
    expect('sizes' in r && r.sizes.some((z) => z.N > v), JSON.stringify(r)).toBe(true);
  });
  // Red team 4: the constant is not the size where these cross, so no size can be chosen (fail closed).
  it.each([
    ['a float counter', 'float f = 0; for (int k = 0; k < N; k++) f += 1.0f; if (f > 4096.0f) N /= 16;'],
    ['a count of halvings (floor of log2 N)', 'int levels = 0; for (int b = N; b > 1; b >>= 1) levels++; if (levels == 23) N /= 16;'],
    ['a helper given N / 16', 'static int big(int nblocks) { return nblocks >= (1 << 19); }\nint h(int N) { return big(N / 16); }\nvoid g(int N) { if (h(N)) N /= 16; }'],
  ])('%s compared with a constant is refused', (_n, pre) => {
    const { r } = sizesFor(sum, `${pre}\n${body}`);
    expect('untestable' in r ? r.untestable : JSON.stringify(r)).toMatch(/follows the sizes through a count or a helper's parameter/);
  });
  it.each([
    ['a struct member', 'struct dims { int n; }; struct dims d = { N }; if (d.n >= (1 << 23)) N /= 16;'],
    ['a local array', 'int dim[1] = { N }; if (dim[0] >= (1 << 23)) N /= 16;'],
    ['an output element', 'S[0] = (real)N; int n = (int)S[0]; if (n >= (1 << 23)) N /= 16;'],
  ])('a size stored in %s and read back, compared with a constant, is refused', (_n, pre) => {
    const { r } = sizesFor(sum, `${pre}\n${body}`);
    expect('untestable' in r ? r.untestable : JSON.stringify(r)).toMatch(/back from memory the kernel wrote with a value derived from the sizes/);
  });
  it('a constant table indexed by a size changes where the index reaches an entry that differs from the one before', () => {
    const { a } = sizesFor(sum, 'static const unsigned char T[32] = {0,0,0,0,0,0,0,0,1};\nint n = T[N >> 20] ? N / 2 : N; real s = 0; for (int i = 0; i < n; i++) s += X[i]; S[0] = s;');
    const p = a.paths.find((x) => x.text.includes('T['));
    expect(p?.constant).toBe(8);
    expect(p?.f?.({ N: 8 << 20 })).toBe(8);
  });
  it('a bound-guarded load kept in a local tile (data or zero past the edge) carries no size', () => {
    const { r } = sizesFor(sum, 'real t[64]; for (int i = 0; i < 64; i++) t[i] = i < N ? X[i] : 0; real s = 0; for (int i = 0; i < 64; i++) if (t[i] > 1e30f) s += 1; else s += t[i]; for (int i = 64; i < N; i++) s += X[i]; S[0] = s;');
    expect('sizes' in r, JSON.stringify(r)).toBe(true);
  });
  it('values the kernel stores that carry no size (partial sums, outputs from the inputs) compare freely', () => {
    const { r } = sizesFor(sum, 'real p[4] = {0}; for (int i = 0; i < N; i++) p[i & 3] += X[i]; S[0] = p[0] + p[1] + p[2] + p[3]; if (S[0] > 1e30f) S[0] = 1e30f;');
    expect('sizes' in r, JSON.stringify(r)).toBe(true);
  });
  it.each([
    ['a struct member', 'struct { int lim; } c = { 4096 }; if (N > c.lim) N /= 16;'],
    ['a dereferenced pointer', 'static const int lim = 4096; const int *p = &lim; if (N > *p) N /= 16;'],
    ['a counter compared with a size', 'int lim = 1; for (int k = 0; k < 12; k++) lim *= 2; if (N > lim) N /= 16;'],
    ['a value read from the inputs', 'if (N > (int)X[0]) N /= 16;'],
  ])('%s is refused (fail closed)', (_n, pre) => {
    const { r } = sizesFor(sum, `${pre}\n${body}`);
    expect('untestable' in r ? r.untestable : JSON.stringify(r)).toMatch(/no static reading can compute/);
  });
  it('a loop over a constant range compared with a size-derived remainder is an ordinary boundary', () => {
    const { r } = sizesFor(sum, 'real s = 0; int i = 0; for (; i + 4 <= N; i += 4) s += X[i] + X[i+1] + X[i+2] + X[i+3]; int rem = N - i; for (int u = 0; u < 4; u++) if (u < rem) s += X[i + u]; S[0] = s;');
    expect('sizes' in r, JSON.stringify(r)).toBe(true);
  });
});

describe("a recursion's parameters compared with a constant", () => {
  const pairwise = 'static real rs(const real *X, int n) { if (n <= 32) { real s = 0; for (int i = 0; i < n; i++) s += X[i]; return s; } int h = n / 2; return rs(X, h) + rs(X + h, n - h); }';
  it('are checked along a sweep of c·2^k and c·2^k + 1 up to the check budget, not refused', () => {
    const { a, r } = sizesFor(sum, 'S[0] = rs(X, N);', pairwise);
    expect(a.opaque).toEqual([]);
    expect(a.sweeps.map((w) => w.text)).toEqual(['n <= 32', 'n / 2']);
    expect(a.sweeps[1].bases).toEqual([2]);
    expect('sizes' in r, JSON.stringify(r)).toBe(true);
    const ns = 'swept' in r ? r.swept.map((z) => z.N) : [];
    // every power of two (32 * 2^k) from the budget's top down, and the sizes just above them
    for (let k = 5; k <= 22; k++) expect(ns).toContain(2 ** k);
    expect(ns).toContain(2 ** 20 + 1);
    expect(ns.filter((v) => v > 2 ** 20).reduce((n, v) => n + v + 1, 0)).toBeLessThanOrEqual(3 * budget.caseElements);
  });
  it('a depth passed down the recursion is one of them; a counter outside any recursion is still refused', () => {
    const { a, r } = sizesFor(
      sum,
      'S[0] = rs(X, N, 0);',
      'static real rs(const real *X, int n, int d) { if (n <= 16) { real s = 0; for (int i = 0; i < n; i++) s += X[i]; return d == 19 ? s + 1 : s; } int h = n / 2; return rs(X, h, d + 1) + rs(X + h, n - h, d + 1); }',
    );
    expect(a.sweeps.map((w) => w.text).sort()).toEqual(['d == 19', 'n / 2', 'n <= 16']);
    expect('swept' in r && r.swept.some((z) => z.N === 2 ** 23), JSON.stringify(r).slice(0, 300)).toBe(true);
  });
  it("a helper's parameter that shares its name with a decoy recursion's is still refused", () => {
    const { r } = sizesFor(sum, 'if (big(N / 10)) N /= 16; S[0] = dec(N) + rs(X, N);', `${pairwise}\nstatic int dec(int nb) { return nb > 0 ? dec(nb - 1) : 0; }\nstatic int big(int nb) { return nb >= (1 << 19); }`);
    expect('untestable' in r ? r.untestable : JSON.stringify(r).slice(0, 200)).toMatch(/follows the sizes through a count or a helper's parameter/);
  });
  it('both dimensions of a two-dimensional recursion: the diagonal first', () => {
    const { r } = sizesFor(
      transpose,
      'rec(R, C, A, B, 0, R, 0, C);',
      'static void rec(int R, int C, const real *A, real *B, int i0, int i1, int j0, int j1) { int di = i1 - i0, dj = j1 - j0; if (di <= 16 && dj <= 16) { for (int i = i0; i < i1; i++) for (int j = j0; j < j1; j++) B[j * R + i] = A[i * C + j]; return; } if (di >= dj) { int m = i0 + di / 2; rec(R, C, A, B, i0, m, j0, j1); rec(R, C, A, B, m, i1, j0, j1); } else { int m = j0 + dj / 2; rec(R, C, A, B, i0, i1, j0, m); rec(R, C, A, B, i0, i1, m, j1); } }',
    );
    expect('swept' in r && r.swept.some((z) => z.R === 2048 && z.C === 2048) && r.swept.some((z) => z.R === 2048 && z.C === 1), JSON.stringify(r).slice(0, 300)).toBe(true);
  });
});

describe('sizes through functions', () => {
  const body = 'real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s;';
  it('a leading-zero count is a modelled, monotone function of the size', () => {
    const { r } = sizesFor(sum, `if (__builtin_clz((unsigned)N) < 20) N /= 16;\n${body}`);
    expect('sizes' in r && r.sizes.some((z) => z.N >= 4096) && r.sizes.some((z) => z.N < 4096 && z.N > 4000), JSON.stringify(r)).toBe(true);
  });
  it.each([
    ['a helper function of the size', 'static int twice(int n) { return n * 2; }', 'if (twice(N) > 8192) N /= 16;'],
    ['a population count', '', 'if (__builtin_popcount((unsigned)N) == 1) N /= 16;'],
  ])('%s compared with a constant is refused (fail closed)', (_n, head, pre) => {
    const { r } = sizesFor(sum, `${pre}\n${body}`, head);
    expect('untestable' in r ? r.untestable : JSON.stringify(r)).toMatch(/no static reading can compute/);
  });
});

describe('the reader never hangs or throws', () => {
  it('reads qualifiers after a pointer star', () => {
    const { a } = sizesFor(sum, 'const real *const *restrict const p = &X; if (N > 4096) N /= 16; real s = 0; for (int i = 0; i < N; i++) s += (*p)[i]; S[0] = s;');
    expect(a.paths.some((p) => p.constant === 4096)).toBe(true);
  });
  it('survives 1,000 mutated kernels (tokens dropped, duplicated, replaced)', () => {
    const base =
      'void sum(int N, const real *X, real *S) { enum { L = 0x1000 }; real s = 0; int i = 0; for (; i + 4 <= N; i += 4) s += X[i] + X[i+1] + X[i+2] + X[i+3]; switch (N % 3) { case 1: s += 0; break; default: break; } if (N > L) s *= 1; for (; i < N; i++) s += X[i] > 0 ? X[i] : -(-X[i]); S[0] = s; }';
    const toks = base.split(/(\s+|[(){};,[\]])/);
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const swaps = ['(', ')', '{', '}', ';', 'if', 'for', 'N', '4096', '?', ':', 'case', 'enum', 'sizeof', '[', ']', '=', '<', '*', 'const'];
    for (let it = 0; it < 1000; it++) {
      const t = [...toks];
      for (let m = 0; m < 1 + Math.floor(rnd() * 5); m++) {
        const i = Math.floor(rnd() * t.length);
        const op = rnd();
        if (op < 0.3) t.splice(i, 1);
        else if (op < 0.6) t.splice(i, 0, t[Math.floor(rnd() * t.length)]);
        else t[i] = swaps[Math.floor(rnd() * swaps.length)];
      }
      const a = analyseSizePaths(sum, t.join(''));
      pathSizes(sum, a, budget, elements(sum));
    }
  });
});
