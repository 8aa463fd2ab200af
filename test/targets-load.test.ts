import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/index.js';
import { CATALOG_DIR, catalogNames, elementCount, evalExpr, loadTarget, parseExpr, resolveTarget } from '../targets/index.js';
import { tmp } from './helpers.js';

function broken(edit: (yaml: string) => string): string {
  const dir = join(tmp(), 'sgemm');
  cpSync(join(CATALOG_DIR, 'sgemm'), dir, { recursive: true });
  writeFileSync(join(dir, 'target.yaml'), edit(readFileSync(join(dir, 'target.yaml'), 'utf8')));
  return dir;
}

describe('targets', () => {
  it('ships its kernels and each loads', () => {
    expect(catalogNames()).toEqual(['conv2d', 'gather', 'histogram', 'jacobi', 'layernorm', 'sgemm', 'softmax', 'spmv_csr', 'sum', 'transpose']);
    for (const n of catalogNames()) expect(resolveTarget(n).name).toBe(n);
  });

  it('reads sgemm exactly as specified', () => {
    const t = resolveTarget('sgemm');
    expect(t.signature).toBe('void sgemm(int M, int N, int K, const real *A, const real *B, real *C)');
    expect(t.sizeSymbols).toEqual(['M', 'N', 'K']);
    expect(t.arrays.map((a) => [a.name, a.role])).toEqual([
      ['A', 'in'],
      ['B', 'in'],
      ['C', 'out'],
    ]);
    expect(evalExpr(t.flops, t.benchSize)).toBe(2 * 1024 ** 3);
    expect(elementCount(t.arrays[0], { M: 3, N: 4, K: 5 })).toBe(15);
  });

  it('evaluates size expressions with precedence', () => {
    expect(evalExpr(parseExpr('4*(M*K + K*N) - 2'), { M: 2, K: 3, N: 4 })).toBe(4 * (6 + 12) - 2);
    expect(() => parseExpr('M +')).toThrow(/end of expression/);
  });

  it('resolves a target folder path as well as a name', () => {
    expect(resolveTarget(join(CATALOG_DIR, 'sum')).name).toBe('sum');
    expect(() => resolveTarget('nope')).toThrow(/no such folder and no shipped target/);
  });

  it.each([
    ['unknown key, with a suggestion', (y: string) => y.replace('flops:', 'flop:'), /target\.yaml: flop: unknown key \(did you mean "flops"\?\)/],
    ['a shape symbol not in the signature', (y: string) => y.replace('shape: [M, K]', 'shape: [M, Q]'), /args\.A\.shape\[1\]: "Q" is not an int parameter/],
    ['a missing size symbol', (y: string) => y.replace('{M: 7, N: 5, K: 3}', '{M: 7, N: 5}'), /sizes\.check\[1\]: missing size symbol "K"/],
    ['a const array declared out', (y: string) => y.replace('A: { shape: [M, K], role: in }', 'A: { shape: [M, K], role: out }'), /args\.A\.role: "out" but the signature declares it const/],
    ['a flag outside the allow-list', (y: string) => y.replace('reassociation: true', 'reassociation: true\n  flags: [-O0]'), /allow\.flags\[0\]: "-O0" is not an allowed flag/],
    ['fast-math without reassociation', (y: string) => y.replace('reassociation: true', 'reassociation: false\n  flags: [-ffast-math]'), /set allow\.reassociation: true/],
  ])('refuses %s with one line naming file and key', (_name, edit, message) => {
    const dir = broken(edit);
    let err: unknown;
    try {
      loadTarget(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(join(dir, 'target.yaml'));
    expect((err as Error).message.split('\n')).toHaveLength(1);
  });
});
