import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, UserError } from '../common/index.js';
import { generateHarness } from '../devices/cpu/harness.js';
import { kernelPrototype } from '../devices/harness-protocol.js';
import { trackedHeader } from '../verifiers/tracked-header.js';
import { asRealSpelling, loadTarget, referenceSource, resolveTarget } from '../targets/index.js';
import { parseSignature } from '../targets/signature.js';
import { writerSystemPrompt } from '../agents/llm/index.js';
import { tmp, writeContext } from './helpers.js';

/** A target folder from a yaml text and a reference. */
function folder(yaml: string, reference: string): string {
  const dir = join(tmp(), 'k');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'target.yaml'), yaml);
  writeFileSync(join(dir, 'reference.c'), reference);
  return dir;
}

const AXPBY = (sig: string, more = '') => `name: axpby
signature: ${sig}
args:
  x: { shape: [n], role: in }
  y: { shape: [n], role: inout }
scalars:
  alpha: { range: [-2, 2], bench: 0.75 }
  beta: { value: 0.5 }
sizes:
  check: [{n: 1}, {n: 9}]
  bench: {n: 1000}
flops: 3*n
bytes: 12*n
${more}`;

const axpbyRef = (sig: string) => `${sig} { for (long i = 0; i < (long)n; i++) y[i] = alpha * x[i] + beta * y[i]; }`;

function refusal(dir: string): string {
  try {
    loadTarget(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const msg = (e as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    expect(msg).toContain(join(dir, 'target.yaml'));
    return msg;
  }
  throw new Error('loaded');
}

describe('signatures as people write them', () => {
  it('reads both spellings of the scalar type with const, restrict and __restrict__, and wider size types', () => {
    const p = parseSignature('void f(size_t n, long long m, unsigned int k, int64_t q, const float *__restrict__ a, double *restrict b, float const *c, const int * __restrict idx, float alpha)');
    expect(typeof p).not.toBe('string');
    const params = (p as Exclude<typeof p, string>).params;
    expect(params.map((x) => [x.name, x.type, x.pointer, x.isConst])).toEqual([
      ['n', 'size_t', false, false],
      ['m', 'long long', false, false],
      ['k', 'unsigned', false, false],
      ['q', 'int64_t', false, false],
      ['a', 'float', true, true],
      ['b', 'double', true, false],
      ['c', 'float', true, true],
      ['idx', 'int', true, true],
      ['alpha', 'float', false, false],
    ]);
    const arrays = parseSignature('void f(int n, const float x[], float y[restrict], const long idx[static 4])');
    expect((arrays as Exclude<typeof arrays, string>).params.map((x) => [x.name, x.type, x.pointer, x.isConst])).toEqual([
      ['n', 'int', false, false],
      ['x', 'float', true, true],
      ['y', 'float', true, false],
      ['idx', 'long', true, true],
    ]);
    expect(parseSignature('void f(int **a)')).toMatch(/pointers to pointers/);
    expect(parseSignature('void f(bool *a)')).toMatch(/type "bool" is not supported/);
  });

  it('loads scalars (drawn and fixed), a long size and double spelling; the precision follows the signature', () => {
    const sig = 'void axpby(long n, double alpha, double beta, const double *__restrict__ x, double *restrict y)';
    const t = loadTarget(folder(AXPBY(sig), axpbyRef(sig)));
    expect(t.real).toBe('double');
    expect(t.sizeSymbols).toEqual(['n']);
    expect(t.scalars.map((s) => [s.name, s.value, s.bench])).toEqual([
      ['alpha', { range: [-2, 2] }, 0.75],
      ['beta', { fixed: 0.5 }, 0.5],
    ]);
    expect(kernelPrototype(t)).toBe('void axpby(long n, real alpha, real beta, const real *x, real *y)');
  });

  it('loads integer arrays with their structures and integer outputs', () => {
    const spmv = resolveTarget('spmv_csr');
    expect(spmv.arrays.filter((a) => a.int).map((a) => [a.name, a.int!.ctype, a.values!.kind])).toEqual([
      ['rowptr', 'int', 'csr_rowptr'],
      ['colidx', 'int', 'index'],
    ]);
    const h = resolveTarget('histogram');
    expect(h.arrays.map((a) => [a.name, a.role, a.int?.ctype])).toEqual([
      ['keys', 'in', 'int'],
      ['counts', 'out', 'int'],
    ]);
    expect(kernelPrototype(h)).toBe('void histogram(size_t n, size_t bins, const int *keys, int *counts)');
    expect(kernelPrototype(resolveTarget('gather'))).toBe('void gather(long n, long m, real alpha, const long *idx, const real *x, real *y)');
  });

  it.each([
    ['a double in a float target', 'void axpby(long n, double alpha, double beta, const double *x, double *y)', 'real: float', /signature: parameter "alpha" is double but the target's precision is float/],
    ['float and double mixed', 'void axpby(long n, float alpha, double beta, const double *x, double *y)', '', /signature: mixes float and double/],
    ['a scalar without an entry', 'void axpby(long n, real alpha, real beta, real gamma, const real *x, real *y)', '', /scalars: scalar parameter "gamma" needs an entry/],
    ['a volatile parameter', 'void axpby(long n, real alpha, real beta, const real *x, volatile real *y)', '', /signature: parameter .* volatile/],
  ])('refuses %s in one line naming file and key', (_what, sig, more, message) => {
    expect(refusal(folder(AXPBY(sig, more), axpbyRef(sig)))).toMatch(message);
  });

  it.each([
    ['an integer input without values', (y: string) => y.replace(', values: { index: N } }', ' }'), /args\.colidx: integer input arrays need values/],
    ['two structures at once', (y: string) => y.replace('values: { index: N }', 'values: { index: N, range: [0, 3] }'), /args\.colidx\.values: give exactly one of/],
    ['values on a real array', (y: string) => y.replace('vals: { shape: [nnz], role: in }', 'vals: { shape: [nnz], role: in, values: { index: N } }'), /args\.vals\.values: only integer arrays take values/],
    ['a structure over an unknown symbol', (y: string) => y.replace('values: { index: N }', 'values: { index: Q }'), /args\.colidx\.values\.index: "Q" is not an int parameter/],
    ['an index bound that can be zero', (y: string) => y.replace('values: { index: N }', 'values: { index: N - 1 }'), /args\.colidx\.values: index: N - 1 is 0: no index fits/],
    ['row pointers without rows', (y: string) => y.replace('shape: [M + 1], role: in', 'shape: [M + 1 - M], role: in'), /args\.rowptr\.values: csr_rowptr: nnz is 5 but rowptr has one element/],
    ['a two-dimensional row pointer', (y: string) => y.replace('shape: [M + 1], role: in', 'shape: [M + 1, 1], role: in'), /args\.rowptr\.shape: a csr_rowptr array is one-dimensional/],
  ])('refuses %s', (_what, edit, message) => {
    const spmv = resolveTarget('spmv_csr');
    const yaml = edit(
      `name: spmv
signature: ${spmv.signature}
args:
  rowptr: { shape: [M + 1], role: in, values: { csr_rowptr: nnz } }
  colidx: { shape: [nnz], role: in, values: { index: N } }
  vals: { shape: [nnz], role: in }
  x: { shape: [N], role: in }
  y: { shape: [M], role: out }
sizes:
  check: [{M: 3, N: 4, nnz: 5}]
  bench: {M: 30, N: 40, nnz: 50}
flops: 2*nnz
bytes: 8*nnz
`,
    );
    expect(refusal(folder(yaml, spmv.referenceSource))).toMatch(message);
  });

  it('refuses a size that does not fit its type, and a reference whose definition disagrees with the signature', () => {
    const sig = 'void axpby(unsigned n, real alpha, real beta, const real *x, real *y)';
    expect(refusal(folder(AXPBY(sig).replace('bench: {n: 1000}', 'bench: {n: 5000000000}'), axpbyRef(sig)))).toMatch(/sizes\.bench: n = 5000000000 does not fit the kernel's unsigned parameter/);
    const other = 'void axpby(int n, real alpha, real beta, const real *x, real *y)';
    expect(refusal(folder(AXPBY(sig), axpbyRef(other)))).toMatch(/reference: reference\.c does not define axpby with the signature of target\.yaml: parameter 1 is "int n" but the signature says "unsigned n"/);
    const dbl = 'void axpby(unsigned n, double alpha, double beta, const double *x, double *y)';
    expect(refusal(folder(AXPBY(sig, 'real: float'), axpbyRef(dbl)))).toMatch(/reference: .*parameter "alpha" is double but the target's precision is float/);
  });

  it('the CUDA side refuses targets it cannot run in one line', () => {
    const dir = folder(AXPBY('void axpby(long n, real alpha, real beta, const real *x, real *y)'), axpbyRef('void axpby(long n, real alpha, real beta, const real *x, real *y)'));
    writeFileSync(join(dir, 'reference.cu'), 'void axpby() {}');
    const t = loadTarget(dir);
    expect(() => referenceSource(t, 'cuda')).toThrow(UserError);
    expect(() => referenceSource(t, 'cuda')).toThrow(/has a long size \(n\), which the CUDA harness does not support yet/);
  });

  it("spells the precision's keyword real for the C++ builds, outside comments, literals and includes", () => {
    const src = '#include <float.h>\n/* float */ float f(float x) { double d = 1.0f; const char *s = "float"; return (float)x + FLT_MAX + sqrtf(x); }';
    expect(asRealSpelling(src, 'float')).toBe('#include <float.h>\n/* float */ real f(real x) { double d = 1.0f; const char *s = "float"; return (real)x + FLT_MAX + sqrtf(x); }');
    expect(asRealSpelling(src, 'double')).toContain('real d = 1.0f');
  });

  it("the generated harnesses compile for every size and integer type, with parameters named like the harness's own locals", () => {
    const sig = 'void mix(unsigned long long n, ptrdiff_t m, int32_t k, const uint64_t *c, const int64_t *keep, const size_t *r, double s, const double *restrict x, unsigned *ca, size_t *cb, double *y)';
    const yaml = `name: mix
signature: ${sig}
args:
  c: { shape: [n], role: in, values: { index: m } }
  keep: { shape: [n], role: in, values: { range: [-k, k] } }
  r: { shape: [m + 1], role: in, values: { csr_rowptr: n } }
  x: { shape: [m], role: in }
  ca: { shape: [m], role: out }
  cb: { shape: [1], role: out }
  y: { shape: [n], role: out }
scalars:
  s: { range: [0.5, 2] }
sizes:
  check: [{n: 1, m: 1, k: 1}]
  bench: {n: 1000, m: 100, k: 5}
flops: n
bytes: 8*n
`;
    const dir = folder(yaml, `${sig} { (void)n; (void)m; (void)k; (void)c; (void)keep; (void)r; (void)s; (void)x; (void)ca; (void)cb; (void)y; }`);
    const t = loadTarget(dir);
    writeFileSync(join(dir, 'h.c'), generateHarness(t, { scalar: 'real' }));
    writeFileSync(join(dir, 'tracked.hpp'), trackedHeader(t.real));
    writeFileSync(join(dir, 'h.cpp'), generateHarness(t, { scalar: 'tracked' }));
    execFileSync('cc', ['-std=gnu11', '-Wall', '-Werror', '-Wno-unused-function', '-fsyntax-only', 'h.c'], { cwd: dir, stdio: 'pipe' });
    execFileSync('c++', ['-std=gnu++17', '-fsyntax-only', '-include', 'tracked.hpp', 'h.cpp'], { cwd: dir, stdio: 'pipe' });
  });

  it('a model writer is told what the scalars and integer arrays hold (and a target without them gets no such lines)', () => {
    const spmv = writerSystemPrompt(writeContext(resolveTarget('spmv_csr')));
    expect(spmv).toContain('- rowptr (const int *, M + 1 elements): CSR row pointers: 0 first, non-decreasing, nnz last; any row may be empty');
    expect(spmv).toContain('- colidx (const int *, nnz elements): indices in [0, N), in any order, repeats possible');
    expect(writerSystemPrompt(writeContext(resolveTarget('gather')))).toContain('- alpha: any value in [-2, 2]');
    expect(writerSystemPrompt(writeContext(resolveTarget('sum')))).not.toContain('What the parameters hold');
  });
});
