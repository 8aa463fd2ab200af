/**
 * Amdahl's law for a target that takes a share `w` of a workload's time (0 < w ≤ 1): speeding the
 * target up by `s` speeds the workload up by 1/((1-w)+w/s). A target outside any workload has w = 1.
 */
export function workloadSpeedup(w: number, s: number): number {
  const share = clampShare(w);
  return 1 / (1 - share + share / s);
}

/**
 * The workload's log-gain of one step on a target: the target goes from `logBefore` (its speedup in
 * this run so far, in log) to logBefore + logStep. With w = 1 it is logStep itself; with a small w a
 * step that makes the target 2x faster is worth little, and less again once the target is already fast.
 */
export function workloadLogGain(w: number, logBefore: number, logStep: number): number {
  const share = clampShare(w);
  if (share >= 1) return logStep;
  const time = (logSpeedup: number) => 1 - share + share * Math.exp(-logSpeedup);
  return Math.log(time(logBefore) / time(logBefore + logStep));
}

const clampShare = (w: number) => (Number.isFinite(w) ? Math.min(1, Math.max(1e-6, w)) : 1);
