import type { Size } from '../targets/index.js';

/**
 * Size-dependent paths of a candidate, found in the C the compiler builds (after its own
 * preprocessing, so macros, enums, hex, octal, shifts, sizeof and casts are all values): every
 * comparison, modulus, mask, shift or division that involves a size (or a value derived from one)
 * against a constant. Each yields the values on both sides of its threshold; `pathSizes` turns
 * them into sizes to check, chosen jointly across dimensions.
 */
export interface SizePath {
  /** What kind of boundary: `cmp` (a threshold), `mod`/`div` (residues), `mask`, `shift`. */
  kind: 'cmp' | 'mod' | 'div' | 'mask' | 'shift';
  /** The constant, as the compiler sees it. */
  constant: number;
  /** Values of the size-derived side at which behaviour may change. */
  values: number[];
  /** Size symbols the size-derived side depends on (all of them when unknown). */
  symbols: string[];
  /** The size-derived side as a function of the sizes, where it can be written as one. */
  f?: (z: Size) => number;
  line: number;
  text: string;
}

export interface SizeAnalysis {
  paths: SizePath[];
  /**
   * Comparisons of a size against a value no static reading can compute, or of a size-derived value
   * computed in a type that wraps within the sizes' range (fail closed; `why` says which).
   */
  opaque: { line: number; text: string; why?: string }[];
  /**
   * Comparisons of a recursive function's integer parameter (a sub-range's length, a depth) with a
   * constant, and its divisions (`n / 2`, the split: `bases`): where they change, as a function of
   * the sizes, is not modelled, but a recursion that divides its range changes at a constant times
   * a power of its divisor, so these are checked along such a sweep (`pathSizes`) and never proved.
   */
  sweeps: { line: number; text: string; constants: number[]; bases: number[]; symbols: string[] }[];
  /**
   * Periods of the kernel's size-dependent behaviour: steps of loops over sizes (i += 8), moduli,
   * divisors, masks, shifts, and constants inside comparisons of two size-derived sides
   * (i + 8 <= N). The proof covers their residues jointly.
   */
  periods: number[];
}
