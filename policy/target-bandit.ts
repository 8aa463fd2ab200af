import { workloadLogGain } from './amdahl.js';
import type { PolicyStats } from './arm-stats.js';

export interface TargetBanditConfig {
  /** Per round of the target, older rounds count this much less: a target that stopped paying yields its time. */
  discount: number;
  /** The optimistic prior: one pseudo-round that gained this log-speedup, discounted like a real one. */
  priorGain: number;
  /** Scale of the exploration bonus, in units of the prior's gain per second. */
  explore: number;
  /**
   * Rounds every target gets before the bandit may pass it over: a target's first round is mostly
   * its reference's slow timing and the first moves near it (rows in parallel, a reduction), and
   * what pays often comes in its second.
   */
  minRounds: number;
}

export const TARGET_BANDIT: TargetBanditConfig = { discount: 0.75, priorGain: Math.log(1.25), explore: 0.5, minRounds: 2 };

/** One target's standing, as a decision journals it. */
export interface ArmScore {
  target: string;
  /** Amdahl weight: the target's share of its workload's time (1 outside a workload). */
  weight: number;
  rounds: number;
  /** Wall seconds of its rounds so far, and their share of all rounds' time. */
  seconds: number;
  share: number;
  /** Expected workload log-gain per second (discounted), the exploration bonus, and their sum. Absent until its first round. */
  rate?: number;
  bonus?: number;
  score?: number;
}

/**
 * A discounted UCB over targets. Reward: the log-speedup a round gained (through Amdahl's law when
 * the target is a share of a workload), per second of wall time the round took. A target's rate is
 * its discounted gain over its discounted seconds, with one optimistic pseudo-round that fades as
 * real rounds come in; its bonus grows with the log of all rounds and shrinks with its own, so a
 * target that does not pay is still tried now and then, less and less often. Where the target's
 * share of its measured roof is known, neither a round's expected gain nor the prior exceeds the
 * log of the distance left to it.
 */
export function scoreTargets(stats: PolicyStats, arms: { target: string; weight?: number }[], cfg: TargetBanditConfig = TARGET_BANDIT): ArmScore[] {
  const rounds = (t: string) => stats.arms.get(t)?.rounds ?? [];
  const totalSeconds = [...stats.arms.values()].reduce((s, a) => s + a.rounds.reduce((x, r) => x + r.seconds, 0), 0);
  const totalRounds = arms.reduce((n, a) => n + rounds(a.target).length, 0);
  return arms.map(({ target, weight = 1 }) => {
    const rs = rounds(target);
    const seconds = rs.reduce((x, r) => x + r.seconds, 0);
    const base = { target, weight, rounds: rs.length, seconds: sig(seconds), share: totalSeconds > 0 ? sig(seconds / totalSeconds) : 0 };
    if (!rs.length) return base;
    const n = rs.length;
    const meanSeconds = seconds / n;
    let gain = 0;
    let time = 0;
    rs.forEach((r, k) => {
      const d = cfg.discount ** (n - 1 - k);
      gain += d * workloadLogGain(weight, r.logBefore, r.logGain);
      time += d * r.seconds;
    });
    const arm = stats.arms.get(target)!;
    // What is left to gain: no round can take the target past its roof, so neither its expected
    // gain per round (a large early gain, still fading in the discount) nor its prior exceeds the
    // log of its distance from the roof (sgemm at 88% of its roof had 10 rounds and softmax at 1.6% 2).
    const headroom = arm.pctOfRoof !== undefined && arm.pctOfRoof > 0 ? workloadLogGain(weight, arm.logSpeedup, Math.log(Math.max(1, 100 / arm.pctOfRoof))) : Infinity;
    const priorGain = Math.min(headroom, workloadLogGain(weight, arm.logSpeedup, cfg.priorGain));
    gain += cfg.discount ** n * priorGain;
    time += cfg.discount ** n * meanSeconds;
    const rate = Math.min(gain / time, headroom / meanSeconds);
    const bonus = cfg.explore * (priorGain / meanSeconds) * Math.sqrt(Math.log(1 + totalRounds) / n);
    return { ...base, rate: sig(rate), bonus: sig(bonus), score: sig(rate + bonus) };
  });
}

/** Six significant digits: what the journal keeps of a score. */
const sig = (x: number) => (x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(6)));
