import type { Insight } from '../../memory/index.js';

/**
 * Move chains the verifier rejected on this target and device (insights with outcome `invalid`):
 * a proposal that starts with one of them is not made again, however it continues (a wrong step
 * stays wrong when more moves follow it).
 */
export function rejectedChains(insights: Insight[]): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const i of insights) {
    if (i.outcome !== 'invalid' || !i.kinds.length) continue;
    const key = i.kinds.join('\u0000');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(i.kinds);
  }
  return out;
}

/** Does a proposal's move chain begin with a rejected one? */
export function startsRejected(kinds: string[], chains: string[][]): boolean {
  return chains.some((c) => c.length <= kinds.length && c.every((k, i) => kinds[i] === k));
}
