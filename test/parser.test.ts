import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coeffOf, CSyntaxError, parseC, printUnit, type Func } from '../csyntax/index.js';
import { CATALOG_DIR, catalogNames } from '../targets/index.js';

describe('C subset parser and printer', () => {
  it.each(catalogNames())('round-trips the %s reference (print . parse is a fixed point)', (name) => {
    const src = readFileSync(join(CATALOG_DIR, name, 'reference.c'), 'utf8');
    const once = printUnit(parseC(src));
    expect(printUnit(parseC(once))).toBe(once);
  });

  it('keeps precedence, casts, pragmas, includes and helpers', () => {
    const src = `#include <math.h>
static inline float sq(float x) { return x * x; }
void k(int n, const float *restrict a, float *b) {
  #pragma omp parallel for
  for (int i = 0; i < n; i++) b[i] = (a[i] + 1) * 2 - -a[i] / (float)(n - i) + sq(a[i] > 0 ? a[i] : -a[i]);
}`;
    const out = printUnit(parseC(src));
    expect(out).toContain('#include <math.h>');
    expect(out).toContain('#pragma omp parallel for\n  for (int i = 0; i < n; i++)');
    expect(out).toContain('b[i] = (a[i] + 1) * 2 - -a[i] / (float)(n - i) + sq(a[i] > 0 ? a[i] : -a[i]);');
    expect(out).toContain('const float *restrict a');
  });

  it('names the line of a syntax error', () => {
    expect(() => parseC('void f(int n) {\n  for (;;) {\n    goto out;\n  }\n}')).toThrow(CSyntaxError);
    expect(() => parseC('void f(int n) {\n  n = (1 + ;\n}')).toThrow(/line 2/);
  });

  it('finds the stride of an index expression in a loop variable', () => {
    const f = parseC('void f(int N, float *A) { A[(i + 1) * (N + 2) + j] = A[i * 4 + j * 2]; }').items[0] as Func;
    const stmt = f.body.body[0] as { k: 'expr'; e: { k: 'assign'; l: { idx: never }; r: { idx: never } } };
    expect(coeffOf(stmt.e.l.idx, 'j')).toBe(1);
    expect(coeffOf(stmt.e.l.idx, 'i')).toBe('sym');
    expect(coeffOf(stmt.e.r.idx, 'i')).toBe(4);
    expect(coeffOf(stmt.e.r.idx, 'j')).toBe(2);
  });
});
