import { describe, expect, it } from 'vitest';
import { Rng } from '../common/index.js';
import { resolveTarget, type Size, type Target } from '../targets/index.js';
import { intArray, INT_VARIANTS, scalarValue } from '../verifiers/int-inputs.js';
import { DISTRIBUTIONS, makeInputs, shareFirstHalf } from '../verifiers/inputs.js';

const ints = (b: Buffer, bytes = 4): number[] => Array.from({ length: b.length / bytes }, (_, i) => (bytes === 4 ? b.readInt32LE(i * 4) : Number(b.readBigInt64LE(i * 8))));

function validRowptr(r: number[], rows: number, nnz: number): void {
  expect(r).toHaveLength(rows + 1);
  expect(r[0]).toBe(0);
  expect(r[rows]).toBe(nnz);
  for (let i = 0; i < rows; i++) expect(r[i + 1]).toBeGreaterThanOrEqual(r[i]);
}

describe('integer arrays generated to their declared structure', () => {
  const spmv = resolveTarget('spmv_csr');
  const rowptr = spmv.arrays.find((a) => a.name === 'rowptr')!;
  const colidx = spmv.arrays.find((a) => a.name === 'colidx')!;

  it('csr_rowptr: 0 first, non-decreasing, nnz last, in every variant; empty rows, one full row and skewed rows appear', () => {
    const size: Size = { M: 40, N: 9, nnz: 200 };
    const longest = new Set<number>();
    let empty = 0;
    for (let v = 0; v < INT_VARIANTS.csr_rowptr; v++) {
      const r = ints(intArray(spmv, rowptr, size, new Rng(v + 1), v));
      validRowptr(r, 40, 200);
      const lens = r.slice(1).map((x, i) => x - r[i]);
      empty += lens.filter((x) => x === 0).length;
      longest.add(Math.max(...lens));
    }
    expect(empty).toBeGreaterThan(40); // rows with no entry
    expect(longest.has(200)).toBe(true); // every entry in one row
    const balanced = ints(intArray(spmv, rowptr, size, new Rng(9), 5));
    const lens = balanced.slice(1).map((x, i) => x - balanced[i]);
    expect(Math.max(...lens) - Math.min(...lens)).toBeLessThanOrEqual(1);
    // a row of one element and nnz = 0 are structures too
    validRowptr(ints(intArray(spmv, rowptr, { M: 1, N: 1, nnz: 7 }, new Rng(3), 0)), 1, 7);
  });

  it('index: every value in [0, N), both 0 and N-1 present, repeats and all-distinct variants', () => {
    const size: Size = { M: 5, N: 50, nnz: 40 };
    const sets: number[][] = [];
    for (let v = 0; v < INT_VARIANTS.index; v++) {
      const xs = ints(intArray(spmv, colidx, size, new Rng(v + 7), v));
      expect(xs).toHaveLength(40);
      for (const x of xs) expect(x >= 0 && x < 50).toBe(true);
      sets.push(xs);
    }
    expect(sets[0]).toContain(49);
    expect(sets[0]).toContain(0);
    expect(new Set(sets[1]).size).toBeLessThanOrEqual(3); // a few values repeated
    expect(sets[2].filter((x) => x === 49).length).toBeGreaterThan(20); // mostly the largest index
    expect(new Set(sets[4]).size).toBe(40); // all distinct where they fit
    expect(sets[5].filter((x, i) => i > 0 && x === sets[5][i - 1] + 1).length).toBeGreaterThan(20); // runs of consecutive indices
  });

  it('a plan draws every variant of every integer array and every value a scalar may be singled out at', () => {
    const gather = resolveTarget('gather');
    const alphas = new Set<number>();
    for (const d of DISTRIBUTIONS) alphas.add(makeInputs(gather, { n: 8, m: 8 }, 5, d).arrays.get('alpha')!.readFloatLE(0));
    for (const v of [-2, 2, 1.5, 0, 1, -1]) expect(alphas).toContain(v);
    // the bench input: the bench value, every time
    for (const seed of [1, 2, 3]) expect(makeInputs(gather, { n: 8, m: 8 }, seed, 'normal', { bench: true }).arrays.get('alpha')!.readFloatLE(0)).toBe(1.5);
    // fixed values stay fixed
    const fixed = { kind: 'scalar' as const, name: 'beta', value: { fixed: 0.5 }, bench: 0.5 };
    for (let v = 0; v < 8; v++) expect(scalarValue(fixed, new Rng(v), v, false)).toBe(0.5);
  });

  it('the IN file holds scalars and in/inout arrays in parameter order, each at its own width', () => {
    const gather = resolveTarget('gather');
    const inp = makeInputs(gather, { n: 6, m: 4 }, 9, 'uniform');
    expect([...inp.arrays.keys()]).toEqual(['alpha', 'idx', 'x']);
    expect(inp.bytes.length).toBe(4 + 6 * 8 + 4 * 4);
    for (const x of ints(inp.arrays.get('idx')!, 8)) expect(x >= 0 && x < 4).toBe(true);
    // real arrays draw the same stream as a target without integer arrays or scalars would
    const sum: Target = resolveTarget('sum');
    expect(makeInputs(sum, { N: 5 }, 3, 'normal').bytes.length).toBe(20);
  });

  it("the stale-state check's shared halves keep row pointers valid", () => {
    const size: Size = { M: 30, N: 9, nnz: 100 };
    for (let s = 0; s < 5; s++) {
      const base = makeInputs(spmv, size, s, DISTRIBUTIONS[s]);
      const part = makeInputs(spmv, size, s + 100, DISTRIBUTIONS[(s + 3) % DISTRIBUTIONS.length]);
      shareFirstHalf(spmv, base.arrays, part.arrays);
      validRowptr(ints(part.arrays.get('rowptr')!), 30, 100);
      expect(part.arrays.get('vals')!.subarray(0, 200)).toEqual(base.arrays.get('vals')!.subarray(0, 200));
    }
  });

  it('a structure impossible at a size is one line naming file and key', () => {
    expect(() => intArray(spmv, rowptr, { M: 0, N: 1, nnz: 3 }, new Rng(1), 0)).toThrow(/target\.yaml: args\.rowptr\.values: .*one element/);
  });
});
