/** Statistics for A/B timing: medians and a confidence interval of a speedup ratio. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom.
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function tQuantile975(df: number): number {
  if (df < 1) return Infinity;
  return df <= 30 ? T975[df - 1] : 1.96 + 2.4 / df;
}

export interface SpeedupEstimate {
  /** Geometric mean of the paired ratios baseline/candidate (> 1: candidate faster). */
  speedup: number;
  ciLow: number;
  ciHigh: number;
  pairs: number;
}

/**
 * Paired ratios from interleaved runs (A B A B ...): each pair shares the machine's state at that
 * moment, so drift cancels. The interval is a t-interval on the log ratios.
 */
export function speedupCI(baseline: readonly number[], candidate: readonly number[]): SpeedupEstimate {
  const n = Math.min(baseline.length, candidate.length);
  const logs = Array.from({ length: n }, (_, i) => Math.log(baseline[i] / candidate[i]));
  const mean = logs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { speedup: Math.exp(mean), ciLow: 0, ciHigh: Infinity, pairs: n };
  const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { speedup: Math.exp(mean), ciLow: Math.exp(mean - half), ciHigh: Math.exp(mean + half), pairs: n };
}
