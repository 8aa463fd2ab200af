import { Rng } from '../common/index.js';
import type { Size, Target } from '../targets/index.js';

/** Remainders of common tile and unroll factors (t-1, t, t+1 for t = 2..64) and some primes. */
const INTERESTING = [1, 2, 3, 4, 5, 7, 8, 9, 11, 13, 15, 16, 17, 23, 31, 32, 33, 37, 47, 48, 49, 61, 63, 64, 65, 67, 95, 96, 97, 127, 128, 129];

/**
 * Sizes the verifier picks itself, never shown to writers: every symbol drawn from values that
 * cover the remainders of likely tile factors, within the target's limits; one size takes each
 * symbol's largest interesting value so tiled interiors are exercised too.
 */
export function hiddenSizes(t: Target, seed: number, count: number): Size[] {
  const rng = new Rng(seed ^ 0x5eed);
  const values = (s: string) => {
    const { min, max } = t.limits[s];
    const v = INTERESTING.filter((x) => x >= min && x <= max);
    return v.length ? v : [min];
  };
  const out: Size[] = [];
  const big: Size = {};
  for (const s of t.sizeSymbols) big[s] = Math.max(...values(s));
  out.push(big);
  const seen = new Set([JSON.stringify(big)]);
  for (let tries = 0; out.length < count && tries < count * 20; tries++) {
    const size: Size = {};
    for (const s of t.sizeSymbols) size[s] = rng.pick(values(s));
    const key = JSON.stringify(size);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(size);
    }
  }
  return out;
}

export function formatSize(size: Size): string {
  return Object.entries(size)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
