import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { inferTarget, polyOf, todosOf } from '../init/index.js';
import { parseC } from '../csyntax/index.js';
import { CATALOG_DIR, catalogNames } from '../targets/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'init');

/** A size expression as target.yaml writes it, evaluated (so `H + R - 1` and `R + H - 1` agree). */
function value(expr: string, size: Record<string, number>): number {
  const f = parseC(`void f(void) { x = (${expr}); }`).items[0];
  if (f.k !== 'func' || f.body.body[0].k !== 'expr' || f.body.body[0].e.k !== 'assign') throw new Error(expr);
  return polyOf(f.body.body[0].e.r)!.evaluate(size);
}
const sizesAt = (symbols: string[]) => [1, 2, 7, 33, 100].map((v, k) => Object.fromEntries(symbols.map((s, i) => [s, v + 3 * i + k])));

interface Shipped {
  signature: string;
  args: Record<string, { shape: (string | number)[]; role: string; values?: unknown }>;
}

describe('kloop init reads every shipped target’s reference.c as its target.yaml says', () => {
  for (const name of catalogNames()) {
    it(name, () => {
      const dir = join(CATALOG_DIR, name);
      const shipped = parseYaml(readFileSync(join(dir, 'target.yaml'), 'utf8')) as Shipped;
      const inferred = inferTarget(join(dir, 'reference.c'), readFileSync(join(dir, 'reference.c'), 'utf8'));
      const indexed = Object.values(shipped.args).some((a) => a.values);
      for (const [arg, want] of Object.entries(shipped.args)) {
        const got = inferred.args.find((a) => a.name === arg)!;
        expect(got, arg).toBeDefined();
        // Targets without integer index arrays are inferred whole; with them, what is inferred must agree.
        if (!indexed) {
          expect(got.role, `${arg}: ${got.roleWhy}`).toBeDefined();
          expect(got.shape, `${arg}: ${got.shapeWhy}`).toBeDefined();
        }
        if (got.role) expect(got.role, arg).toBe(want.role);
        // an integer array's contents (values: { index: EXTENT }), where inferred
        if (got.values) expect({ [got.values.kind]: got.values.bound.toString(inferred.sizes) }, arg).toEqual(want.values);
        if (got.shape) {
          expect(got.shape.length, arg).toBe(want.shape.length);
          for (const s of sizesAt(inferred.sizes))
            expect(
              got.shape.map((d) => value(d, s)),
              `${arg} at ${JSON.stringify(s)}`,
            ).toEqual(want.shape.map((d) => value(String(d), s)));
        }
      }
      if (!indexed) {
        expect(todosOf(inferred)).toEqual([]);
        expect(inferred.flops).toBeDefined();
        expect(inferred.bytes).toBeDefined();
      }
    });
  }
  it('integer index arrays: values index the array they select from (its extent, or the one size used nowhere else)', () => {
    const at = (n: string) => inferTarget(n, readFileSync(join(CATALOG_DIR, n, 'reference.c'), 'utf8'));
    const h = at('histogram');
    expect(todosOf(h)).toEqual([]);
    expect(h.args.map((a) => [a.name, a.role, a.shape?.join(', '), a.values?.bound.toString()])).toEqual([
      ['keys', 'in', 'n', 'bins'],
      ['counts', 'out', 'bins', undefined],
    ]);
    const g = at('gather');
    expect(todosOf(g)).toEqual([]);
    expect(g.scalarGuesses.get('alpha')).toMatchObject({ range: [-2, 2], why: expect.stringMatching(/^a coefficient/) });
    expect(g.args.find((a) => a.name === 'x')).toMatchObject({ shape: ['m'], shapeNote: expect.stringMatching(/the one size the kernel uses nowhere else/) });
    expect(g.flops).toBe('n');
    // CSR: rowptr bounds the loop over a row's entries; of the two free sizes, nnz (named as a count of entries) is theirs, N the columns'
    const sp = at('spmv_csr');
    expect(todosOf(sp)).toEqual([]);
    expect(sp.args.map((a) => [a.name, a.shape?.join(', '), a.values && `${a.values.kind}: ${a.values.bound.toString()}`])).toEqual([
      ['rowptr', 'M + 1', 'csr_rowptr: nnz'],
      ['colidx', 'nnz', 'index: N'],
      ['vals', 'nnz', undefined],
      ['x', 'N', undefined],
      ['y', 'M', undefined],
    ]);
    expect(sp.flops).toBe('2*nnz');
  });

  it('counts what the kernels do: flops and bytes fitted from runs at small sizes, checked at another', () => {
    const at = (n: string) => inferTarget(n, readFileSync(join(CATALOG_DIR, n, 'reference.c'), 'utf8'));
    expect(at('sgemm')).toMatchObject({ flops: '2*M*N*K', bytes: '4*(M*K + K*N + M*N)' });
    expect(at('conv2d')).toMatchObject({ flops: '2*H*W*R*S', bytes: '4*((H + R - 1)*(W + S - 1) + R*S + H*W)' });
    // softmax: per row C-1 comparisons for the max, then a subtraction, exp and sum per element, then a division
    expect(at('softmax').flops).toBe('5*R*C - R');
    // jacobi's halo corners are never read: bytes count the elements touched, not the array
    expect(at('jacobi').bytes).toBe('4*((N*M + 2*N + 2*M) + N*M)');
  });
});

describe('kloop init on kernels it has never seen', () => {
  const infer = (file: string, fn?: string) => inferTarget(join(FIXTURES, file), readFileSync(join(FIXTURES, file), 'utf8'), fn);
  const brief = (i: ReturnType<typeof infer>) => Object.fromEntries(i.args.map((a) => [a.name, `${a.role ?? 'TODO'} [${a.shape?.join(', ') ?? 'TODO'}]`]));

  it('axpy-like: y read before written is inout', () => {
    const i = infer('axpy2.c');
    expect(brief(i)).toEqual({ x: 'in [n]', y: 'inout [n]' });
    expect(i).toMatchObject({ signature: 'void axpy2(int n, const real *x, real *y)', real: 'float', flops: '2*n', bytes: '4*(n + n)' });
    expect(i.source).toContain('void axpy2(int n, const real *x, real *y) {');
  });

  it('a scalar coefficient is drawn from a range of either sign, saying why; an exponent is a TODO saying why; restrict pointers and includes are read', () => {
    const i = infer('saxpy.c');
    expect(brief(i)).toEqual({ x: 'in [n]', y: 'inout [n]' });
    expect(todosOf(i)).toEqual([]);
    expect(i.scalarGuesses.get('alpha')).toEqual({ range: [-2, 2], bench: 1.5, why: 'a coefficient (alpha * x[i]): drawn from a range of either sign' });
    expect(todosOf(infer('powscale.c'))).toEqual([
      { key: 'scalars.p', why: expect.stringMatching(/^p is an exponent of powf \(powf\(fabsf\(x\[i\]\) \+ 1\.0f, p\)\), which says nothing of the values it may take: give value: X or range: \[LO, HI\]$/) },
    ]);
    expect(i.source.startsWith('#include <stddef.h>\n')).toBe(true);
  });

  it('a 3-point stencil through a static helper and macros: the halo from the largest index touched', () => {
    expect(() => infer('stencil3.c')).toThrow(/several functions could be the kernel \(stencil3, main\): name one with --function NAME/);
    const i = infer('stencil3.c', 'stencil3');
    expect(brief(i)).toEqual({ u: 'in [n + 2]', v: 'out [n]' });
    expect(i.args[0].shapeFrom).toBe('largest index');
    expect(i).toMatchObject({ flops: '5*n', bytes: '4*((n + 2) + n)' });
    // the helper and the macros it uses come along; main does not
    expect(i.source).toMatch(/#define W0 0\.25f\n#define W1 0\.5f\n\nstatic real tap\(const real \*u, int i\)/);
    expect(i.source).not.toContain('main');
  });

  it('a matrix-vector product in double through a row pointer', () => {
    const i = infer('matvec.c');
    expect(brief(i)).toEqual({ A: 'in [rows, cols]', x: 'in [cols]', y: 'out [rows]' });
    expect(i).toMatchObject({ real: 'double', flops: '2*rows*cols', bytes: '8*(rows*cols + cols + rows)' });
  });

  it('a row reduction: an input not declared const becomes const in the signature and reference.c', () => {
    const i = infer('rowmax.c');
    expect(brief(i)).toEqual({ a: 'in [m, n]', best_of: 'out [m]' });
    expect(i.signature).toBe('void rowmax(int m, int n, const real *a, real *best_of)');
    expect(i.source).toContain('void rowmax(int m, int n, const real *a, real *best_of) {');
    // n comparisons and n fabsf per row
    expect(i.flops).toBe('2*m*n');
  });

  it('a triangular loop nest (j < i) and a diagonal access (L[i*n + i]) still give [n, n]; fractional counts over one denominator', () => {
    const i = infer('trisolve.c');
    expect(brief(i)).toEqual({ L: 'in [n, n]', b: 'in [n]', x: 'out [n]' });
    // L's lower triangle and diagonal: n(n+1)/2 elements, written so that target.yaml's integer division is exact
    expect(i).toMatchObject({ flops: 'n*n', bytes: '4*(((n*n + n)/2) + n + n)' });
  });

  it('3-D arrays indexed (i*J + j)*K + k, with size_t sizes and restrict', () => {
    const i = infer('permute3.c');
    expect(brief(i)).toEqual({ A: 'in [I, J, K]', B: 'out [K, J, I]' });
    expect(i).toMatchObject({ signature: 'void permute3(size_t I, size_t J, size_t K, const real *A, real *B)', real: 'double', flops: 'I*J*K' });
  });

  it('2x2 pooling: a row stride with a whole factor is a narrower row taken every other row ([2h, 2w])', () => {
    const i = infer('pool2.c');
    expect(brief(i)).toEqual({ in: 'in [2*h, 2*w]', out: 'out [h, w]' });
    expect(i.flops).toBe('3*h*w');
  });

  it('pointers walked with q++: the role and shape come from running it, not from the syntax', () => {
    const i = infer('relu_ptr.c');
    expect(brief(i)).toEqual({ x: 'in [n]', y: 'out [n]' });
    expect(i.args.map((a) => a.shapeFrom)).toEqual(['largest index', 'largest index']);
    expect(i.signature).toBe('void relu_ptr(int n, const real *x, real *y)');
  });

  it("CSR row sums: the entries' count is the one size the kernel uses nowhere else; flops counted with row pointers drawn", () => {
    const i = infer('csr_rowsum.c');
    expect(brief(i)).toEqual({ ptr: 'in [rows + 1]', val: 'in [entries]', sums: 'out [rows]' });
    expect(i.args[0].values).toMatchObject({ kind: 'csr_rowptr' });
    expect(i.args[0].values!.bound.toString()).toBe('entries');
    expect(todosOf(i)).toEqual([]);
    expect(i.flops).toBe('entries');
  });

  it('what cannot be read is one line naming the file', () => {
    expect(() => inferTarget('/x/k.c', 'void k(int n, float *y) { switch (n) { default: y[0] = 1; } }')).toThrow(/^\/x\/k\.c: line 1: "switch" is not supported/);
    expect(() => inferTarget('/x/k.c', 'int k(int n) { return n; }')).toThrow(/^\/x\/k\.c: k: the kernel must return void/);
    expect(() => inferTarget('/x/k.c', 'void k(int n, float *y) { y[0] = n; }', 'other')).toThrow(/^\/x\/k\.c: --function: no function "other" in the file \(it defines k\)/);
  });
});
