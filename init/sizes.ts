export type Size = Record<string, number>;

/** A quantity of the sizes: a fitted polynomial, or an expression of target.yaml. */
export interface OfSize {
  evaluate(s: Size): number;
}

/** What sizing a target needs to know: its size symbols, its arrays' extents, and its counted work. */
export interface SizingModel {
  symbols: string[];
  extents: OfSize[][];
  /** Bytes of one element of each array (in extents' order; 4 where not given). */
  elementBytes?: number[];
  /** Which arrays the kernel writes (out or inout), in extents' order. */
  outputs?: boolean[];
  /** Work per call (flops, or bytes for a kernel that does no arithmetic), when counted. */
  work?: OfSize;
}

const uniform = (symbols: string[], v: number): Size => Object.fromEntries(symbols.map((s) => [s, v]));
export const elements = (m: SizingModel, s: Size) => m.extents.reduce((n, shape) => n + shape.reduce((k, d) => k * d.evaluate(s), 1), 0);
/** At most this many elements of all arrays at a bench size (kloop draws and holds the inputs element by element). */
export const MAX_BENCH_ELEMENTS = 2 ** 26;

/**
 * At most this many bytes of the oracle's outputs at a bench size: `kloop run` checks the bench
 * size against the oracle, which writes each output element as a value and an error bound in double
 * (16 bytes) to a file the sandbox caps at 256 MB; half of that leaves room.
 */
export const MAX_ORACLE_BYTES = 2 ** 27;
/** Bytes the oracle writes at a size (16 per element of every array the kernel writes; every array where not told). */
export const oracleBytes = (m: SizingModel, s: Size) => m.extents.reduce((n, shape, i) => n + ((m.outputs?.[i] ?? true) ? shape.reduce((k, d) => k * d.evaluate(s), 1) * 16 : 0), 0);

/** Bytes of all arrays at a size. */
export const footprint = (m: SizingModel, s: Size) => m.extents.reduce((n, shape, i) => n + shape.reduce((k, d) => k * d.evaluate(s), 1) * (m.elementBytes?.[i] ?? 4), 0);
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
 * The sizes' roles in the bench search. A size no array grows with (doubling it adds under 10% to
 * the arrays' bytes) while the work does grow with it is a count of steps (`tsteps`, `tmax`, whose
 * only array is one value per step): it is held where it starts, and the sizes of the data are
 * scaled, so that the timed call works on arrays of a realistic size; the steps grow only when the
 * data reaches the cap on bytes and the call is still too fast.
 */
export function sizeRoles(m: SizingModel, at: Size): { data: string[]; steps: string[] } {
  const bytes = footprint(m, at);
  const work = m.work?.evaluate(at) ?? 0;
  const steps = m.symbols.filter((k) => {
    const twice = { ...at, [k]: at[k] * 2 };
    return footprint(m, twice) < bytes * 1.1 && !!m.work && m.work.evaluate(twice) > work * 1.5;
  });
  return steps.length === m.symbols.length ? { data: m.symbols, steps: [] } : { data: m.symbols.filter((k) => !steps.includes(k)), steps };
}

/**
 * The next bench size to try: the sizes in `only` (default all) scaled by one factor, keeping the
 * ratios between them, so that the counted work grows by `ratio` (the time measured against the
 * time wanted), within `maxBytes` of arrays (and MAX_BENCH_ELEMENTS, MAX_ORACLE_BYTES).
 */
export function scaleSize(m: SizingModel, s: Size, ratio: number, maxBytes: number, only: string[] = m.symbols): Size {
  // Round values: multiples of 16 from 64 up (a bench size a person reads), exact below.
  const round = (x: number) => (x >= 64 ? Math.round(x / 16) * 16 : Math.max(1, Math.round(x)));
  const grow = (f: number): Size => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, only.includes(k) ? round(v * f) : v]));
  const measure = (f: number) => (m.work ? m.work.evaluate(grow(f)) : elements(m, grow(f)));
  const base = Math.max(1e-9, measure(1));
  let lo = 1e-3;
  let hi = 1e4;
  for (let i = 0; i < 60; i++) {
    const mid = Math.sqrt(lo * hi);
    if (measure(mid) / base < ratio && footprint(m, grow(mid)) <= maxBytes && elements(m, grow(mid)) <= MAX_BENCH_ELEMENTS && oracleBytes(m, grow(mid)) <= MAX_ORACLE_BYTES) lo = mid;
    else hi = mid;
  }
  return grow(lo);
}

/** The work of a size, or its elements for a kernel with no counted work. */
export const workAt = (m: SizingModel, s: Size): number => (m.work ? m.work.evaluate(s) : elements(m, s));

/** Where the bench search starts: every symbol the same (32, or the least that gives every array an element). */
export function benchStart(m: SizingModel): Size {
  const v = [32, 33, 34, 36, 40, 48, 64].find((x) => positive(m, uniform(m.symbols, x))) ?? 32;
  return uniform(m.symbols, v);
}
