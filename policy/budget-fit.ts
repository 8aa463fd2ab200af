import type { ArmStats, PolicyStats } from './arm-stats.js';

/** What is left of the run's constraints (undefined: not constrained). */
export interface Left {
  ms?: number;
  usd?: number;
  tokens?: number;
}

/** What a target's next round is expected to cost. */
export interface RoundCost {
  ms: number;
  usd: number;
  tokens: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * A target's next round's expected cost: the mean of its last three full rounds; a target not tried
 * yet is expected to cost the least a tried target's round costs (undefined when none was tried).
 */
export function expectedCost(arm: ArmStats | undefined, all: PolicyStats): RoundCost | undefined {
  const of = (a: ArmStats | undefined) => {
    const full = (a?.rounds ?? []).filter((r) => !r.cut).slice(-3);
    return full.length ? { ms: 1000 * mean(full.map((r) => r.seconds)), usd: mean(full.map((r) => r.usd)), tokens: mean(full.map((r) => r.tokens)) } : undefined;
  };
  const own = of(arm);
  if (own) return own;
  const others = [...all.arms.values()].map(of).filter((c): c is RoundCost => !!c);
  if (!others.length) return undefined;
  return { ms: Math.min(...others.map((c) => c.ms)), usd: Math.min(...others.map((c) => c.usd)), tokens: Math.min(...others.map((c) => c.tokens)) };
}

/** Why a round of this cost does not fit in what is left (undefined: it fits). */
export function doesNotFit(cost: RoundCost | undefined, left: Left): string | undefined {
  if (!cost) return undefined;
  if (left.ms !== undefined && cost.ms > left.ms) return `a round takes ~${(cost.ms / 1000).toFixed(0)} s, ${(Math.max(0, left.ms) / 1000).toFixed(0)} s left`;
  if (left.usd !== undefined && cost.usd > left.usd) return `a round costs ~$${cost.usd.toFixed(4)}, $${Math.max(0, left.usd).toFixed(4)} left`;
  if (left.tokens !== undefined && cost.tokens > left.tokens) return `a round takes ~${cost.tokens.toFixed(0)} tokens, ${Math.max(0, left.tokens).toFixed(0)} left`;
  return undefined;
}
