export type Size = Record<string, number>;

/** A quantity of the sizes: a fitted polynomial, or an expression of target.yaml. */
export interface OfSize {
  evaluate(s: Size): number;
}

/** What sizing a target needs to know: its size symbols, its arrays' extents, and its counted work. */
export interface SizingModel {
  symbols: string[];
  extents: OfSize[][];
  /** Work per call (flops, or bytes for a kernel that does no arithmetic), when counted. */
  work?: OfSize;
}

const uniform = (symbols: string[], v: number): Size => Object.fromEntries(symbols.map((s) => [s, v]));
const elements = (m: SizingModel, s: Size) => m.extents.reduce((n, shape) => n + shape.reduce((k, d) => k * d.evaluate(s), 1), 0);
const positive = (m: SizingModel, s: Size) => m.extents.every((shape) => shape.every((d) => d.evaluate(s) >= 1));

/** Check sizes at most this much work each (the oracle runs them in double with error bounds). */
const CHECK_WORK = 2e7;
/** Sizes the verifier picks itself stay below this (limits): elements of all arrays, and work. */
const LIMIT_ELEMENTS = 1 << 20;
const LIMIT_WORK = 4e6;

/**
 * Check sizes that cover remainders: every size 1 (or the smallest that gives every array an
 * element), distinct small primes, and larger values that are neither powers of two nor multiples of
 * one another (33, 17, 65, …), scaled down when the work there would be too large.
 */
export function checkSizes(m: SizingModel): Size[] {
  const small = [7, 5, 3, 11, 13, 2, 17, 19, 23, 29];
  const large = [33, 17, 65, 40, 23, 9, 29, 31, 37, 41];
  const least = [1, 2, 3, 4, 5, 6, 7, 8].map((v) => uniform(m.symbols, v)).find((s) => positive(m, s));
  const pick = (vals: number[]) => Object.fromEntries(m.symbols.map((s, i) => [s, vals[i % vals.length] + Math.floor(i / vals.length)]));
  const out: Size[] = [];
  if (least) out.push(least);
  for (const vals of [small, large]) {
    let s = pick(vals);
    for (let guard = 0; guard < 8 && m.work && m.work.evaluate(s) > CHECK_WORK; guard++) s = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Math.max(2, Math.round(v / 2) | 1)]));
    if (positive(m, s) && !out.some((o) => JSON.stringify(o) === JSON.stringify(s))) out.push(s);
  }
  return out;
}

/** Bounds for the sizes the verifier picks: the largest round value where everything stays small, the smallest that gives every array an element. */
export function sizeLimits(m: SizingModel): { min: number; max: number } {
  const min = [1, 2, 3, 4, 5, 6, 7, 8].find((v) => positive(m, uniform(m.symbols, v))) ?? 1;
  const max =
    [4096, 2048, 1024, 512, 256, 128, 96, 64, 48, 32, 24, 16, 12, 8].find((v) => v >= min && elements(m, uniform(m.symbols, v)) <= LIMIT_ELEMENTS && (!m.work || m.work.evaluate(uniform(m.symbols, v)) <= LIMIT_WORK)) ?? Math.max(min, 8);
  return { min, max };
}

/**
 * The next bench size to try: every symbol scaled by one factor so that the counted work grows by
 * `ratio` (the time measured against the time wanted), within `maxElements`.
 */
export function scaleSize(m: SizingModel, s: Size, ratio: number, maxElements: number): Size {
  // Round values: multiples of 16 from 64 up (a bench size a person reads), exact below.
  const round = (x: number) => (x >= 64 ? Math.round(x / 16) * 16 : Math.max(1, Math.round(x)));
  const grow = (f: number): Size => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v * f)]));
  const measure = (f: number) => (m.work ? m.work.evaluate(grow(f)) : elements(m, grow(f)));
  const base = Math.max(1e-9, measure(1));
  let lo = 1e-3;
  let hi = 1e4;
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(lo * hi);
    if (measure(mid) / base < ratio && elements(m, grow(mid)) <= maxElements) lo = mid;
    else hi = mid;
  }
  return grow(lo);
}

/** Where the bench search starts: every symbol the same (32, or the least that gives every array an element). */
export function benchStart(m: SizingModel): Size {
  const v = [32, 33, 34, 36, 40, 48, 64].find((x) => positive(m, uniform(m.symbols, x))) ?? 32;
  return uniform(m.symbols, v);
}
