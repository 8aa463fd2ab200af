import { elemBytes, elementCount, evalExpr, readElem, type ArrayParam, type Size, type Target } from '../targets/index.js';

export interface Mismatch {
  array: string;
  index: number[];
  got: number;
  expected: number;
  tolerance: number;
  /** How many elements of this array were wrong. */
  count: number;
}

export type Comparison = { ok: true; maxErrorRatio: number } | { ok: false; kind: 'mutated-input'; array: string; index: number } | ({ ok: false; kind: 'wrong-output' } & Mismatch) | { ok: false; kind: 'short-output'; detail: string };

/**
 * One output element against the oracle: a non-finite expected value must be matched exactly (NaN by
 * NaN); where the oracle has no bound (its value left the target precision's range on the way, or
 * came from dividing by what may be zero there) anything passes, the reference's own result being
 * an overflow; otherwise a non-finite output never passes a finite one, and |got - expected| <= tol.
 */
export function elementWrong(got: number, expected: number, tol: number): boolean {
  if (!Number.isFinite(expected)) return !(Number.isNaN(expected) ? Number.isNaN(got) : got === expected);
  if (tol === Infinity) return false;
  if (!Number.isFinite(got)) return true;
  return !(Math.abs(got - expected) <= tol);
}

/** A flat element index as one index per dimension of the array. */
export function unflatten(a: ArrayParam, size: Size, flat: number): number[] {
  const dims = a.shape.map((d) => evalExpr(d, size));
  const idx: number[] = [];
  for (let i = dims.length - 1; i >= 0; i--) {
    idx.unshift(flat % dims[i]);
    flat = Math.floor(flat / dims[i]);
  }
  return idx;
}

/**
 * Compare what the candidate left in every array (its OUT file) with the inputs it was given and
 * the oracle's values and error bounds (integer outputs have a zero bound: exact). Runs in kloop's
 * process, never in the candidate's.
 */
export function compareOutputs(t: Target, size: Size, inputs: Map<string, Buffer>, candidate: Buffer, oracle: Buffer): Comparison {
  const factor = t.tolerance.factor;
  let cOff = 0;
  let oOff = 0;
  let maxRatio = 0;
  for (const a of t.arrays) {
    const n = elementCount(a, size);
    const width = elemBytes(t, a);
    const read = readElem(t, a);
    const bytes = n * width;
    if (candidate.length < cOff + bytes) return { ok: false, kind: 'short-output', detail: `output file ended inside ${a.name}` };
    const got = candidate.subarray(cOff, cOff + bytes);
    cOff += bytes;
    if (a.role === 'in') {
      const orig = inputs.get(a.name)!;
      if (!got.equals(orig)) {
        let i = 0;
        while (i < bytes && got[i] === orig[i]) i++;
        return { ok: false, kind: 'mutated-input', array: a.name, index: Math.floor(i / width) };
      }
      continue;
    }
    if (oracle.length < oOff + n * 16) return { ok: false, kind: 'short-output', detail: `oracle output ended inside ${a.name}` };
    let first: Mismatch | undefined;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const c = read(got, i * width);
      const v = oracle.readDoubleLE(oOff + i * 16);
      const e = oracle.readDoubleLE(oOff + i * 16 + 8);
      const tol = factor * e;
      const bad = elementWrong(c, v, tol);
      if (Number.isFinite(v) && Number.isFinite(c) && tol > 0 && Math.abs(c - v) / tol > maxRatio) maxRatio = Math.abs(c - v) / tol;
      if (bad) {
        count++;
        first ??= { array: a.name, index: unflatten(a, size, i), got: c, expected: v, tolerance: tol, count: 0 };
      }
    }
    oOff += n * 16;
    if (first) return { ok: false, kind: 'wrong-output', ...first, count };
  }
  return { ok: true, maxErrorRatio: maxRatio };
}
