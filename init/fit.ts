import { Poly } from './poly.js';

export type Size = Record<string, number>;

export interface Fit {
  poly: Poly;
  /** It predicted a size it was not fitted on exactly; otherwise `error` is its relative error there. */
  exact: boolean;
  error: number;
  /** The sizes it measured at (for the message). */
  points: number;
}

const MAX_DEGREE = 4;
const MAX_UNKNOWNS = 256;

/**
 * The polynomial in the size symbols that a count follows (operations, distinct elements): the
 * degree in each symbol from finite differences along it, then the coefficients from the counts on
 * a grid of sizes, then a check at a size it was not fitted on. Undefined when the count is not a
 * polynomial of degree ≤ 4 in some symbol (it depends on the data, or on sizes in another way).
 */
export function fitPolynomial(count: (s: Size) => number, symbols: string[], base = 4): Fit | undefined {
  const memo = new Map<string, number>();
  const at = (s: Size) => {
    const k = JSON.stringify(s);
    if (!memo.has(k)) memo.set(k, count(s));
    return memo.get(k)!;
  };
  const basePoint = Object.fromEntries(symbols.map((s) => [s, base]));
  const degrees: number[] = [];
  for (const sym of symbols) {
    const ys = Array.from({ length: MAX_DEGREE + 2 }, (_, i) => at({ ...basePoint, [sym]: base + i }));
    let d = ys;
    let deg = -1;
    if (ys.every((y) => y === 0)) {
      degrees.push(0);
      continue;
    }
    for (let k = 0; k <= MAX_DEGREE + 1; k++) {
      if (d.every((y) => Math.abs(y) < 1e-9 * Math.max(1, ...ys.map(Math.abs)))) {
        deg = k - 1;
        break;
      }
      d = d.slice(1).map((y, i) => y - d[i]);
    }
    if (deg < 0) return undefined;
    degrees.push(Math.max(0, deg));
  }
  // Monomials with each symbol's exponent up to its degree; the grid has one size per monomial.
  const exps: number[][] = [[]];
  for (const d of degrees) exps.splice(0, exps.length, ...exps.flatMap((e) => Array.from({ length: d + 1 }, (_, k) => [...e, k])));
  if (exps.length > MAX_UNKNOWNS) return undefined;
  const rows = exps.map((e) => {
    const s = Object.fromEntries(symbols.map((sym, i) => [sym, base + e[i]]));
    return { x: exps.map((m) => m.reduce((p, k, i) => p * s[symbols[i]] ** k, 1)), y: at(s) };
  });
  const coeffs = solve(
    rows.map((r) => r.x),
    rows.map((r) => r.y),
  );
  if (!coeffs) return undefined;
  const poly = Poly.of(
    exps.map((e, j) => [
      e
        .map((k, i) => (k ? (k > 1 ? `${symbols[i]}^${k}` : symbols[i]) : ''))
        .filter(Boolean)
        .sort()
        .join('*'),
      rational(coeffs[j]),
    ]),
  );
  const check = Object.fromEntries(symbols.map((s, i) => [s, base + 7 + 2 * i]));
  const want = at(check);
  const got = poly.evaluate(check);
  const error = Math.abs(got - want) / Math.max(1, Math.abs(want));
  return { poly, exact: error < 1e-9, error, points: memo.size };
}

/** A coefficient of a count: a rational with a small denominator. */
function rational(x: number): number {
  for (let d = 1; d <= 720; d++) if (Math.abs(Math.round(x * d) - x * d) < 1e-6 * Math.max(1, d)) return Math.round(x * d) / d;
  return x;
}

/** Gaussian elimination with partial pivoting; undefined when singular. */
function solve(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const m = a.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (Math.abs(m[p][c]) < 1e-12) return undefined;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      if (f) for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((r, i) => r[n] / r[i]);
}
