/**
 * Where a run's time with no compile and no kernel process went: each idle interval the metered
 * sandbox recorded is attributed to the loop events on either side of it (the last event before it
 * began and the first after it ended), and the table sums them per pair, largest first.
 */

/** One event as the benchmark saw it: its type (and target) at this process's performance.now(). */
export interface EventMark {
  at: number;
  what: string;
}

export interface GapRow {
  between: string;
  count: number;
  totalMs: number;
  maxMs: number;
}

/** Idle time per pair of events around it, largest total first. Both inputs are in time order. */
export function attributeGaps(gaps: readonly (readonly [number, number])[], marks: readonly EventMark[]): GapRow[] {
  const rows = new Map<string, GapRow>();
  let i = 0;
  for (const [from, to] of gaps) {
    while (i < marks.length && marks[i].at <= from) i++;
    const before = i > 0 ? marks[i - 1].what : '(start)';
    let j = i;
    while (j < marks.length && marks[j].at < to) j++;
    // Events inside the gap say what ran in it; the first one names it.
    const inside = j > i ? ` [${marks[i].what}${j - i > 1 ? ` +${j - i - 1}` : ''}]` : '';
    const after = j < marks.length ? marks[j].what : '(end)';
    const key = `${before} -> ${after}${inside}`;
    const r = rows.get(key) ?? { between: key, count: 0, totalMs: 0, maxMs: 0 };
    r.count++;
    r.totalMs += to - from;
    r.maxMs = Math.max(r.maxMs, to - from);
    rows.set(key, r);
  }
  return [...rows.values()].sort((a, b) => b.totalMs - a.totalMs);
}

/** The table, at most `top` rows, with idle time by gap length below it. */
export function gapTable(gaps: readonly (readonly [number, number])[], marks: readonly EventMark[], top = 15): string {
  const rows = attributeGaps(gaps, marks);
  const total = gaps.reduce((s, [a, b]) => s + b - a, 0);
  const lines = [`idle intervals of 5 ms or more: ${gaps.length}, ${(total / 1000).toFixed(1)} s; by the events around them:`, '| between | count | total s | max ms |', '|---|---:|---:|---:|'];
  for (const r of rows.slice(0, top)) lines.push(`| ${r.between} | ${r.count} | ${(r.totalMs / 1000).toFixed(2)} | ${r.maxMs.toFixed(0)} |`);
  const bands = [5, 20, 100, 1000, Infinity];
  const by = bands.slice(0, -1).map((lo, k) => {
    const inBand = gaps.filter(([a, b]) => b - a >= lo && b - a < bands[k + 1]);
    return `${lo}-${bands[k + 1]} ms: ${inBand.length} (${(inBand.reduce((s, [a, b]) => s + b - a, 0) / 1000).toFixed(1)} s)`;
  });
  lines.push(`by length: ${by.join(', ')}`);
  return lines.join('\n');
}
