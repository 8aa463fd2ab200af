import { Rng } from '../common/index.js';
import { elementCount, evalExpr, type ArrayParam, type Size, type Target } from '../targets/index.js';
import { intArray, scalarValue } from './int-inputs.js';
import type { InputEdge } from './data-paths.js';

/**
 * Input distributions: never all zeros. The first five are centred near zero (signed; exact zeros,
 * heavy tails, large magnitudes: 2^8 to 2^30 times N(0,1), so a form that overflows a float where
 * the reference does not, (x*2^100)*2^-100, is caught); the others are inputs users have that those
 * never give:
 *   unit           uniform in [0, 1): bounded non-negative data (pixels, probabilities), what a
 *                  kernel that singles out one-sided or normalised inputs breaks on;
 *   offset         mean >> spread (1000 + N(0,1), the sign alternating by row): cancellation in one-pass formulas;
 *   negative-offset the same from -1000 (a one-row array gets each sign in some case of every plan);
 *   positive       all-positive (log-normal): no cancellation to hide a dropped term behind;
 *   constant-rows  every row of an array one value (a 1-D array is one row): zero variance, ties;
 *   integer        small integers in [-8, 8] (exact in float), in runs (half repeat their neighbour): ties and exact sums;
 *   tiny           N(0,1) × 1e-30 (float) or 1e-300 (double), a quarter of them subnormal;
 *   subnormal      every value subnormal (magnitudes log-uniform below the smallest normal).
 * The oracle's error bound decides every case, whatever the distribution.
 */
export const DISTRIBUTIONS = ['normal', 'uniform', 'heavy', 'sparse', 'large', 'unit', 'offset', 'negative-offset', 'positive', 'constant-rows', 'integer', 'tiny', 'subnormal'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

/**
 * What timed runs draw from: data of ordinary magnitude. Not the subnormal ones, whose arithmetic
 * runs in microcode assists (a measurement of the denormal stall, not of the kernel), and not
 * `large` (2^8..2^30) or `heavy` (Cauchy, up to 1e4): on them a kernel's exponentials and
 * logarithms underflow or overflow nearly everywhere, and vector math libraries take their
 * scalar special-case path (a softmax built with -ffast-math ran 23 ms on `large` rows against
 * 3.2 ms on normal ones, the scalar reference 37 and 22 ms: the run timed the special case). Checks
 * draw them all, so a kernel that behaves otherwise on them is caught there.
 */
export const TIMED_DISTRIBUTIONS: readonly Distribution[] = DISTRIBUTIONS.filter((d) => !['tiny', 'subnormal', 'large', 'heavy'].includes(d));

/** Per array: what a distribution needs beyond the generator (an offset's sign, a row's value, the precision). */
interface ArrayDraw {
  real: 'float' | 'double';
  centre: number;
  rowLength: number;
  rowValue: number;
}

const SMALLEST_NORMAL = { float: 2 ** -126, double: 2 ** -1022 };
const SMALLEST_SUBNORMAL = { float: 2 ** -149, double: 2 ** -1074 };

function subnormal(rng: Rng, real: 'float' | 'double'): number {
  // log-uniform between 16 × the smallest subnormal and the smallest normal, random sign
  const lo = Math.log2(SMALLEST_SUBNORMAL[real]) + 4;
  const hi = Math.log2(SMALLEST_NORMAL[real]);
  const x = 2 ** (lo + rng.next() * (hi - lo));
  return rng.next() < 0.5 ? -x : x;
}

function draw(rng: Rng, d: Distribution, a: ArrayDraw, i: number): number {
  switch (d) {
    case 'normal':
      return rng.normal();
    case 'uniform':
      return rng.next() * 2 - 1;
    case 'heavy': {
      // Cauchy, clipped so that products stay finite in single precision.
      const x = Math.tan(Math.PI * (rng.next() - 0.5));
      return Math.max(-1e4, Math.min(1e4, x));
    }
    case 'sparse':
      return rng.next() < 0.3 ? 0 : rng.normal();
    case 'large':
      // magnitudes log-uniform over 2^8..2^30 (products of two stay far from a float's range)
      return rng.normal() * 2 ** (8 + Math.floor(rng.next() * 23));
    case 'unit':
      return rng.next();
    case 'offset':
    case 'negative-offset':
      // (rows alternate the sign, so a 2-D array has both; a one-row array has +1000 in one case, -1000 in the other)
      return (Math.floor(i / a.rowLength) % 2 === 0 ? a.centre : -a.centre) + rng.normal();
    case 'positive':
      return Math.exp(rng.normal());
    case 'constant-rows':
      if (i % a.rowLength === 0) a.rowValue = rng.normal();
      return a.rowValue;
    case 'integer':
      // Runs: half the elements repeat their neighbour (as integer data does), the rest are fresh.
      if (i % a.rowLength !== 0 && rng.next() < 0.5) return a.rowValue;
      return (a.rowValue = rng.int(-8, 8));
    case 'tiny':
      return rng.next() < 0.25 ? subnormal(rng, a.real) : rng.normal() * (a.real === 'float' ? 1e-30 : 1e-300);
    case 'subnormal':
      return subnormal(rng, a.real);
  }
}

/** Elements in one row of an array (all but its first dimension; a 1-D array is one row). */
function rowLength(a: ArrayParam, size: Size, n: number): number {
  if (a.shape.length < 2) return Math.max(1, n);
  return Math.max(1, n / Math.max(1, evalExpr(a.shape[0], size)));
}

export interface InputSet {
  /** Every scalar and in/inout array, in parameter order, raw little-endian: the harness's IN file. */
  bytes: Buffer;
  /** The same, per parameter (insertion order is the file's), to compare against what the candidate left behind. */
  arrays: Map<string, Buffer>;
}

/**
 * A fresh input at a size. Real arrays follow `dist`; integer arrays and scalars are drawn from a
 * stream of their own (so real arrays are the same as in a target without them), in the variant
 * the distribution's position selects (every plan draws every distribution, so every variant);
 * `bench`: the timed runs' input (scalars at their bench value, typical integer structures);
 * `typical`: scalars drawn uniformly and typical integer structures (no edge case: the input that
 * shows whether outputs depend on inputs at all); `edge`: scalars and integer structures at a
 * data-dependent boundary of a kernel (see data-paths.ts).
 */
export function makeInputs(t: Target, size: Size, seed: number, dist: Distribution, opts: { bench?: boolean; typical?: boolean; edge?: InputEdge } = {}): InputSet {
  const rng = new Rng(seed);
  const intRng = new Rng(seed ^ 0x1d5ca1a5);
  const d = DISTRIBUTIONS.indexOf(dist);
  const arrays = new Map<string, Buffer>();
  t.params.forEach((p, k) => {
    if (p.kind === 'size') return;
    if (p.kind === 'scalar') {
      const v = scalarValue(p, intRng, opts.typical ? 0 : d + k, !!opts.bench, opts.edge?.scalars?.[p.name]);
      const b = Buffer.alloc(t.real === 'float' ? 4 : 8);
      if (t.real === 'float') b.writeFloatLE(v);
      else b.writeDoubleLE(v);
      arrays.set(p.name, b);
      return;
    }
    const a = p;
    if (a.role === 'out') return;
    if (a.int) {
      const edge = opts.edge && { lumped: !!opts.edge.lumped?.includes(a.name), contains: opts.edge.contains?.[a.name] };
      arrays.set(a.name, intArray(t, a, size, intRng, opts.bench || opts.typical ? 0 : d + k, edge));
      return;
    }
    const n = elementCount(a, size);
    const data = t.real === 'float' ? new Float32Array(n) : new Float64Array(n);
    const ad: ArrayDraw = { real: t.real, centre: dist === 'negative-offset' ? -1000 : 1000, rowLength: rowLength(a, size, n), rowValue: 0 };
    let nonzero = false;
    for (let i = 0; i < n; i++) {
      data[i] = draw(rng, dist, ad, i);
      nonzero ||= data[i] !== 0;
    }
    if (!nonzero) data[rng.int(0, n - 1)] = dist === 'subnormal' ? subnormal(rng, t.real) : 1 + rng.next();
    arrays.set(a.name, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  return { bytes: Buffer.concat([...arrays.values()]), arrays };
}

/**
 * `part` with the first half of every real array and unstructured integer array taken from `base`
 * (the stale-state check's shared inputs). Scalars and CSR row pointers keep `part`'s own (half of
 * one set of row pointers and half of another are not row pointers).
 */
export function shareFirstHalf(t: Target, base: Map<string, Buffer>, part: Map<string, Buffer>): void {
  for (const a of t.arrays) {
    if (a.role === 'out' || a.values?.kind === 'csr_rowptr') continue;
    const b = part.get(a.name)!;
    base.get(a.name)!.copy(b, 0, 0, Math.floor(b.length / 2 / 8) * 8);
  }
}

/**
 * A distribution for each case of a plan such that every distribution is drawn: a rotation from
 * the seed, with the cases repeated (cyclically) when there are fewer cases than distributions.
 * Returns the cases to run, each with its distribution.
 */
export function spreadDistributions<T>(cases: readonly T[], seed: number): { item: T; distribution: Distribution }[] {
  const n = Math.max(cases.length, cases.length ? DISTRIBUTIONS.length : 0);
  return Array.from({ length: n }, (_, i) => ({ item: cases[i % cases.length], distribution: DISTRIBUTIONS[(i + seed) % DISTRIBUTIONS.length] }));
}
