import type { PolicyStats } from './arm-stats.js';

/** A move kind's family: `tile:32` → tile, `flag:-O3` → flag, `unroll-jam:2` → unroll-jam. */
export const familyOf = (kind: string): string => kind.split(':')[0];

/**
 * What a proposal earned its move families: 1 kept, 0.5 verified and faster than the baseline, 0.1
 * verified but not faster, 0 rejected (wrong, crashed, did not build).
 */
export function proposalReward(r: { status: string; speedup?: number }): number {
  if (r.status === 'keep') return 1;
  if (r.status !== 'discard' || r.speedup === undefined) return 0;
  return r.speedup > 1 ? 0.5 : 0.1;
}

export interface FamilyBanditConfig {
  /** Weight of the prior (pseudo-proposals at the run-wide mean of the family). */
  prior: number;
  /** Scale of the exploration bonus. */
  explore: number;
  /** Weights are clamped to [1/clamp, clamp]. */
  clamp: number;
}

export const FAMILY_BANDIT: FamilyBanditConfig = { prior: 2, explore: 0.3, clamp: 3 };

/**
 * The move families' weights for a target's next round (a UCB over families): each family's mean
 * reward on this target (shrunk towards its mean over the run's targets) plus an exploration bonus,
 * relative to the average family. Above 1 a family has paid better than the others and is favoured
 * (the built-in writer divides its cost prior by the weight); families never proposed are absent.
 */
export function familyWeights(stats: PolicyStats, target: string, cfg: FamilyBanditConfig = FAMILY_BANDIT): Record<string, number> {
  const mine = stats.arms.get(target)?.families;
  if (!mine?.size) return {};
  const runWide = new Map<string, { n: number; reward: number }>();
  for (const a of stats.arms.values())
    for (const [f, r] of a.families) {
      const w = runWide.get(f) ?? { n: 0, reward: 0 };
      w.n += r.n;
      w.reward += r.reward;
      runWide.set(f, w);
    }
  const all = [...runWide.values()].reduce((acc, r) => ({ n: acc.n + r.n, reward: acc.reward + r.reward }), { n: 0, reward: 0 });
  const overall = all.n ? all.reward / all.n : 0.3;
  const total = [...mine.values()].reduce((n, r) => n + r.n, 0);
  const ucb = new Map<string, number>();
  for (const [f, r] of mine) {
    const w = runWide.get(f)!;
    const priorMean = (w.reward + overall) / (w.n + 1);
    const mean = (r.reward + cfg.prior * priorMean) / (r.n + cfg.prior);
    ucb.set(f, mean + cfg.explore * Math.sqrt(Math.log(1 + total) / (r.n + 1)));
  }
  const avg = [...ucb.values()].reduce((a, b) => a + b, 0) / ucb.size;
  const out: Record<string, number> = {};
  for (const [f, u] of [...ucb].sort(([a], [b]) => a.localeCompare(b))) out[f] = round3(Math.min(cfg.clamp, Math.max(1 / cfg.clamp, avg > 0 ? u / avg : 1)));
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
