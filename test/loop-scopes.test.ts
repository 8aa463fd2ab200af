import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../targets/index.js';
import { scopeLoopVariables, unscoped } from '../verifiers/loop-scopes.js';
import { analyseSizePaths } from '../verifiers/size-paths.js';

describe('loop variables of one name in two loops', () => {
  it('are renamed apart within braced loops only, members and fresh names respected', () => {
    const src = 'void f(int n, int *a) {\n  for (int k = 0; k < n; k++) { a[k] = 0; }\n  for (int k = a[0], e = a[1]; k < e; k++) { s.k = k; p->k++; }\n  for (int k = 0; k < n; k++) a[k] = 1;\n  int k__kls1 = 3;\n}';
    const out = scopeLoopVariables(src);
    expect(out.split('\n')).toHaveLength(src.split('\n').length);
    expect(out).toContain('for (int k__kls2 = 0; k__kls2 < n; k__kls2++) { a[k__kls2] = 0; }');
    expect(out).toContain('s.k = k__kls3; p->k++;');
    expect(out).toContain('e__kls4 = a[1]; k__kls3 < e__kls4;');
    expect(out).toContain('for (int k = 0; k < n; k++) a[k] = 1;'); // unbraced body: as written
    expect(out).toContain('int k__kls1 = 3;');
    expect(unscoped('`k__kls3 < e__kls4`')).toBe('`k < e`');
  });

  it('renames only what a loop declares, not the value it starts from (a tiled loop: i = ii_t)', () => {
    const tiled = 'void f(int R, float *B) {\n  for (int ii_t = 0; ii_t < R; ii_t += 16) {\n    for (int i = ii_t; i < (ii_t + 16 < R ? ii_t + 16 : R); i++) { B[i] = 0; }\n  }\n}';
    const out = scopeLoopVariables(tiled);
    const outer = /for \(int (ii_t__kls\d+) = 0/.exec(out)![1];
    expect(out).toContain(`for (int i__kls2 = ${outer}; i__kls2 < (${outer} + 16 < R ? ${outer} + 16 : R); i__kls2++)`);
    expect(analyseSizePaths(resolveTarget('transpose'), tiled.replace('void f(int R, float *B)', 'void transpose(int R, int C, const float *A, float *B)')).opaque).toEqual([]);
  });

  it('a size loop and a row loop sharing a name are two variables; one variable compared with both is still opaque', () => {
    const t = resolveTarget('spmv_csr');
    const two = `void spmv_csr(int M, int N, int nnz, const int *rowptr, const int *colidx, const real *vals, const real *x, real *y) {
  for (int k = 0; k < M; k++) { y[k] = 0; }
  for (int i = 0; i < M; i++) { for (int k = rowptr[i]; k < rowptr[i + 1]; k++) { y[i] += vals[k] * x[colidx[k]]; } } }`;
    expect(analyseSizePaths(t, two).opaque).toEqual([]);
    const one = `void spmv_csr(int M, int N, int nnz, const int *rowptr, const int *colidx, const real *vals, const real *x, real *y) {
  int k;
  for (k = 0; k < M; k++) { y[k] = 0; }
  for (int i = 0; i < M; i++) { for (k = rowptr[i]; k < rowptr[i + 1]; k++) { y[i] += vals[k] * x[colidx[k]]; } } }`;
    expect(analyseSizePaths(t, one).opaque.map((o) => o.text)).toContain('k < rowptr[i + 1]');
  });
});
