import type { Insight } from '../../memory/index.js';

/** Per move kind, how often memory's insights record it kept and how often it failed. */
export function insightStats(insights: Insight[]): Map<string, { keep: number; fail: number }> {
  const stats = new Map<string, { keep: number; fail: number }>();
  for (const i of insights)
    for (const k of i.kinds) {
      const s = stats.get(k) ?? { keep: 0, fail: 0 };
      if (i.outcome === 'keep') s.keep++;
      else s.fail++;
      stats.set(k, s);
    }
  return stats;
}

/**
 * How much memory, the analyzer's plan and PO1's move-family weights favour a sequence of moves
 * (< 1 favours). A family weight above 1 (the family paid better than the others on this target in
 * this run) divides the prior by it, within [0.5, 2].
 */
export function priorFor(kinds: string[], favoured: Set<string>, insights: Insight[], familyWeights?: Record<string, number>): number {
  let p = 1;
  const stats = insightStats(insights);
  for (const k of new Set(kinds)) {
    const base = k.split(':')[0];
    if (favoured.has(k) || favoured.has(base)) p *= 0.8;
    // what failed again and again on this target and device weighs more with every failure
    const s = stats.get(k);
    if (s) p *= Math.min(8, Math.max(0.5, (1 + s.fail * 0.4) / (1 + s.keep * 1.5)));
  }
  for (const family of new Set(kinds.map((k) => k.split(':')[0]))) {
    const w = familyWeights?.[family];
    if (w) p /= Math.min(2, Math.max(0.5, w));
  }
  return p;
}
