import type { Rng } from '../common/index.js';
import type { PolicyStats } from './arm-stats.js';
import { doesNotFit, expectedCost, type Left } from './budget-fit.js';
import { familyWeights } from './family-bandit.js';
import { scoreTargets, TARGET_BANDIT, type ArmScore, type TargetBanditConfig } from './target-bandit.js';

/** An arm as the run offers it: an active target, its Amdahl weight, the rounds the user still allows it. */
export interface DecisionArm {
  target: string;
  weight?: number;
  roundsLeft?: number;
}

/** An arm's standing in a decision: its score, and whether its next round fits in what is left (else why not). */
export interface PolicyArm extends ArmScore {
  fits: boolean;
  note?: string;
}

export interface Decision {
  /** The target whose round comes next; absent when no target's round fits in what is left. */
  target?: string;
  why: string;
  arms: PolicyArm[];
  /** The move families' weights for the chosen target's writer (family-bandit.ts). */
  families: Record<string, number>;
}

/**
 * PO1: which target gets the next round. Among the targets whose next round fits in the run's time,
 * money, tokens and rounds left, a target never tried goes first (the optimistic prior; the heavier
 * its Amdahl weight, the sooner), then one with fewer than `minRounds` rounds, then the one with the highest expected gain per second plus its
 * exploration bonus; exact ties are broken with the run's seeded Rng.
 */
export function decide(i: { stats: PolicyStats; arms: DecisionArm[]; left: Left; rng: Rng; config?: TargetBanditConfig }): Decision {
  const cfg = i.config ?? TARGET_BANDIT;
  const scored = scoreTargets(i.stats, i.arms, cfg);
  const arms: PolicyArm[] = scored.map((a, k) => {
    const roundsLeft = i.arms[k].roundsLeft;
    const note = roundsLeft !== undefined && roundsLeft <= 0 ? 'no rounds left' : doesNotFit(expectedCost(i.stats.arms.get(a.target), i.stats), i.left);
    return note ? { ...a, fits: false, note } : { ...a, fits: true };
  });
  const eligible = arms.filter((a) => a.fits);
  if (!eligible.length) return { why: `no target's next round fits in what is left (${arms.map((a) => `${a.target}: ${a.note}`).join('; ')})`, arms, families: {} };
  const untried = eligible.filter((a) => a.score === undefined);
  let chosen: PolicyArm;
  let why: string;
  const young = eligible.filter((a) => a.score !== undefined && a.rounds < (cfg.minRounds ?? 0));
  if (untried.length) {
    chosen = untried.reduce((best, a) => (a.weight > best.weight ? a : best));
    why = 'not tried yet (optimistic prior: every target gets a first round)';
  } else if (young.length) {
    chosen = young.reduce((best, a) => (a.rounds < best.rounds || (a.rounds === best.rounds && a.weight > best.weight) ? a : best));
    why = `${chosen.rounds} round${chosen.rounds === 1 ? '' : 's'} so far: every target gets ${cfg.minRounds} before the bandit may pass it over`;
  } else {
    const top = Math.max(...eligible.map((a) => a.score!));
    const ties = eligible.filter((a) => a.score! >= top - 1e-12);
    chosen = ties.length > 1 ? i.rng.pick(ties) : ties[0];
    why = `highest expected gain per second: ${chosen.rate!.toPrecision(3)}/s + exploration ${chosen.bonus!.toPrecision(3)}/s${ties.length > 1 ? ` (a tie of ${ties.length}, drawn)` : ''}`;
  }
  return { target: chosen.target, why, arms, families: familyWeights(i.stats, chosen.target) };
}
