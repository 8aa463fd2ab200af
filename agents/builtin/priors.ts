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

/** How much memory and the analyzer's plan favour a sequence of moves (< 1 favours). */
export function priorFor(kinds: string[], favoured: Set<string>, insights: Insight[]): number {
  let p = 1;
  const stats = insightStats(insights);
  for (const k of new Set(kinds)) {
    const base = k.split(':')[0];
    if (favoured.has(k) || favoured.has(base)) p *= 0.8;
    // what failed again and again on this target and device weighs more with every failure
    const s = stats.get(k);
    if (s) p *= Math.min(8, Math.max(0.5, (1 + s.fail * 0.4) / (1 + s.keep * 1.5)));
  }
  return p;
}
