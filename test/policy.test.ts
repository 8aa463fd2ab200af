import { describe, expect, it } from 'vitest';
import { priorFor } from '../agents/builtin/index.js';
import { Rng } from '../common/index.js';
import { finalCostMs } from '../loop/final-timing.js';
import { addGain, addSpend, decide, emptyPolicyStats, endRound, familyWeights, recordProposal, setRoof, startRound, workloadLogGain, workloadSpeedup, type PolicyStats } from '../policy/index.js';

/** One simulated round of a target: `seconds` long, keeping a candidate `speedup` times faster (1: none kept). */
function round(s: PolicyStats, target: string, at: number, seconds: number, speedup: number, spend = { usd: 0, tokens: 0 }): number {
  const n = (s.arms.get(target)?.rounds.length ?? 0) + 1;
  startRound(s, target, n, at);
  if (speedup > 1) addGain(s, target, speedup);
  addSpend(s, target, spend.usd, spend.tokens);
  endRound(s, target, at + seconds * 1000, { round: n, kept: speedup > 1, proposed: 4 });
  return at + seconds * 1000;
}

/** `decisions` decisions of PO1 over simulated targets; returns the chosen targets in order. */
function simulate(targets: Record<string, { seconds: number; speedup: (k: number) => number; weight?: number }>, decisions: number, seed = 1): string[] {
  const s = emptyPolicyStats();
  const rng = new Rng(seed);
  const chosen: string[] = [];
  let at = 0;
  for (let i = 0; i < decisions; i++) {
    const d = decide({ stats: s, arms: Object.entries(targets).map(([target, t]) => ({ target, weight: t.weight })), left: {}, rng });
    chosen.push(d.target!);
    const t = targets[d.target!];
    at = round(s, d.target!, at, t.seconds, t.speedup(s.arms.get(d.target!)?.rounds.length ?? 0));
  }
  return chosen;
}

const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;

describe('PO1: a bandit over targets', () => {
  it('gives every target a first round, then prefers the one that gains the most per second', () => {
    const chosen = simulate({ slow: { seconds: 40, speedup: () => 1.2 }, fast: { seconds: 10, speedup: () => 1.2 } }, 30);
    expect(new Set(chosen.slice(0, 2))).toEqual(new Set(['slow', 'fast']));
    expect(count(chosen, 'fast')).toBeGreaterThan(3 * count(chosen, 'slow'));
  });

  it('gives every target a second round before passing it over (what pays often comes then)', () => {
    // a first round that kept nothing, then a 3x round; next to a target that gains 1.5x every round
    const chosen = simulate({ late: { seconds: 50, speedup: (k) => (k === 1 ? 3 : 1) }, steady: { seconds: 10, speedup: () => 1.5 } }, 12);
    expect(chosen.slice(0, 4).filter((t) => t === 'late')).toHaveLength(2);
    const s = emptyPolicyStats();
    round(s, 'late', round(s, 'steady', 0, 10, 1.5), 50, 1);
    const d = decide({ stats: s, arms: [{ target: 'late' }, { target: 'steady' }], left: {}, rng: new Rng(1) });
    expect(d.target).toBe('late');
    expect(d.why).toMatch(/1 round so far: every target gets 2/);
  });

  it('still explores a target that has not paid, less and less often', () => {
    const chosen = simulate({ pays: { seconds: 10, speedup: () => 1.15 }, dry: { seconds: 10, speedup: () => 1 } }, 60);
    const dry = chosen.map((t, i) => (t === 'dry' ? i : -1)).filter((i) => i >= 0);
    expect(dry.length).toBeGreaterThanOrEqual(3);
    expect(dry.length).toBeLessThan(12);
    // the gaps between its rounds grow
    expect(dry.at(-1)! - dry.at(-2)!).toBeGreaterThan(dry[1] - dry[0]);
  });

  it('moves time away from a target that stopped paying (the discount)', () => {
    const chosen = simulate({ early: { seconds: 10, speedup: (k) => (k < 8 ? 1.5 : 1) }, steady: { seconds: 10, speedup: () => 1.1 } }, 50);
    expect(count(chosen.slice(0, 15), 'early')).toBeGreaterThan(count(chosen.slice(0, 15), 'steady'));
    expect(count(chosen.slice(30), 'steady')).toBeGreaterThan(2 * count(chosen.slice(30), 'early'));
  });

  it('expects no more from a target than the distance left to its roof (a large early gain near the roof does not hold the budget)', () => {
    const s = emptyPolicyStats();
    let at = round(s, 'near', 0, 30, 700); // 700x in its first round, now at 88% of its roof
    at = round(s, 'far', at, 30, 1.5); // 1.5x, at 2% of its roof
    at = round(s, 'near', at, 30, 1);
    at = round(s, 'far', at, 30, 1);
    setRoof(s, 'near', 88);
    setRoof(s, 'far', 2);
    const d = decide({ stats: s, arms: [{ target: 'near' }, { target: 'far' }], left: {}, rng: new Rng(1) });
    expect(d.target).toBe('far');
    // without the roofs, the early gain still leads
    const t = emptyPolicyStats();
    at = round(t, 'near', 0, 30, 700);
    at = round(t, 'far', at, 30, 1.5);
    at = round(t, 'near', at, 30, 1);
    round(t, 'far', at, 30, 1);
    expect(decide({ stats: t, arms: [{ target: 'near' }, { target: 'far' }], left: {}, rng: new Rng(1) }).target).toBe('near');
  });

  it('is deterministic for a seed, and draws ties with it', () => {
    const twins = { a: { seconds: 10, speedup: () => 1.1 }, b: { seconds: 10, speedup: () => 1.1 }, c: { seconds: 10, speedup: () => 1.1 } };
    expect(simulate(twins, 30, 7)).toEqual(simulate(twins, 30, 7));
    const runs = new Set([1, 2, 3, 4, 5, 6].map((seed) => simulate(twins, 30, seed).join(',')));
    expect(runs.size).toBeGreaterThan(1);
  });

  it('weights a target by its share of the workload (Amdahl)', () => {
    expect(workloadSpeedup(0.5, 2)).toBeCloseTo(4 / 3);
    expect(workloadSpeedup(1, 2)).toBe(2);
    expect(workloadLogGain(1, 0, Math.log(2))).toBeCloseTo(Math.log(2));
    // a second 2x on a target that is 10% of the workload is worth less than the first
    expect(workloadLogGain(0.1, Math.log(2), Math.log(2))).toBeLessThan(workloadLogGain(0.1, 0, Math.log(2)));
    const chosen = simulate({ minor: { seconds: 10, speedup: () => 1.3, weight: 0.1 }, major: { seconds: 10, speedup: () => 1.3, weight: 0.9 } }, 30);
    expect(chosen[0]).toBe('major');
    expect(count(chosen, 'major')).toBeGreaterThan(3 * count(chosen, 'minor'));
  });

  it("respects the run's constraints: time, money, tokens and rounds left", () => {
    const s = emptyPolicyStats();
    let at = round(s, 'long', 0, 60, 4, { usd: 0.02, tokens: 3000 });
    at = round(s, 'short', at, 10, 1, { usd: 0.001, tokens: 100 });
    round(s, 'short', at, 10, 1, { usd: 0.001, tokens: 100 });
    const arms = [{ target: 'long' }, { target: 'short' }];
    const rng = new Rng(1);
    expect(decide({ stats: s, arms, left: {}, rng }).target).toBe('long');
    const inTime = decide({ stats: s, arms, left: { ms: 30_000 }, rng });
    expect(inTime.target).toBe('short');
    expect(inTime.arms.find((a) => a.target === 'long')).toMatchObject({ fits: false, note: 'a round takes ~60 s, 30 s left' });
    expect(decide({ stats: s, arms, left: { usd: 0.01 }, rng }).target).toBe('short');
    expect(decide({ stats: s, arms, left: { tokens: 500 }, rng }).target).toBe('short');
    expect(decide({ stats: s, arms: [{ target: 'long', roundsLeft: 0 }, { target: 'short' }], left: {}, rng }).target).toBe('short');
    const none = decide({ stats: s, arms, left: { ms: 5000 }, rng });
    expect(none.target).toBeUndefined();
    expect(none.why).toMatch(/^no target's next round fits in what is left \(long: a round takes ~60 s, 5 s left; short: a round takes ~10 s, 5 s left\)$/);
    // a target never tried is expected to cost what the cheapest tried one costs
    expect(decide({ stats: s, arms: [...arms, { target: 'new' }], left: { ms: 12_000 }, rng }).target).toBe('new');
  });
});

describe('PO1: a bandit over move families', () => {
  it('weights the families that paid on this target above the others, and the built-in writer favours them', () => {
    const s = emptyPolicyStats();
    for (let i = 0; i < 6; i++) recordProposal(s, 'sgemm', ['tile', 'unroll'], i < 4 ? 1 : 0.5);
    for (let i = 0; i < 6; i++) recordProposal(s, 'sgemm', ['flag'], 0);
    const w = familyWeights(s, 'sgemm');
    expect(w.tile).toBeGreaterThan(1);
    expect(w.flag).toBeLessThan(1);
    expect(familyWeights(s, 'sum')).toEqual({});
    // the writer's prior: < 1 favours
    expect(priorFor(['tile:32'], new Set(), [], w)).toBeLessThan(priorFor(['tile:32'], new Set(), []));
    expect(priorFor(['flag:-O3'], new Set(), [], w)).toBeGreaterThan(priorFor(['flag:-O3'], new Set(), []));
  });
});

describe('PO1 keeps time for the final measurements', () => {
  it('estimates a final as minPairs pairs of reference and best processes', () => {
    // sgemm here: a reference call of 4.8 s (one call is its own sample) and a best kernel of 6.8 ms (a warm-up, then 100 ms of calls).
    expect(finalCostMs(4.8e9, 6.8e6, { minPairs: 3, minMs: 100 })).toBeCloseTo(3 * (4800 + 100 + 6.8 + 100 + 100), 5);
  });

  it('a round that fits the budget no longer fits once the finals owed are kept back', () => {
    const s = emptyPolicyStats();
    round(s, 'a', 0, 60, 2);
    const arms = [{ target: 'a' }];
    expect(decide({ stats: s, arms, left: { ms: 90_000 }, rng: new Rng(1) }).target).toBe('a');
    const reserve = finalCostMs(4.8e9, 6.8e6, { minPairs: 3, minMs: 100 });
    expect(decide({ stats: s, arms, left: { ms: 90_000 - 2 * reserve }, rng: new Rng(1) }).target).toBeUndefined();
  });
});
