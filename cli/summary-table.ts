import type { RunSummary } from '../loop/index.js';

const f = (n: number | undefined, d: number) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d));

/** The end-of-run table: per target, reference and best time, speedup, GFLOP/s, % of roof. */
export function summaryTable(s: RunSummary): string {
  const head = ['target', 'rounds', 'cands', 'keeps', 'ref ms', 'best ms', 'vs ref', 'GFLOP/s', '% roof'];
  const rows = s.perTarget.map((t) => [t.target, String(t.rounds), String(t.candidates), String(t.keeps), f(t.referenceMs, 2), f(t.bestMs, 3), `${f(t.vsReference, 2)}x`, f(t.bestGflops, 2), f(t.pctOfRoof, 1)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const hours = s.elapsedMs / 3_600_000;
  const lines = [line(head), ...rows.map(line), '', `${s.candidates} candidates in ${(s.elapsedMs / 60000).toFixed(1)} min (${hours > 0 ? (s.candidates / hours).toFixed(0) : '-'} per hour), ${s.keeps} kept; stopped: ${s.reason}`];
  if (s.busy) lines.push(`wall time with a compile or kernel process running: ${(100 * (1 - s.busy.outsideShare)).toFixed(1)}%; outside compile and run: ${(100 * s.busy.outsideShare).toFixed(1)}%`);
  const t = s.spend.total;
  if (t.calls) {
    lines.push(`model spend: $${t.usd.toFixed(4)}, ${t.inputTokens} input + ${t.outputTokens} output tokens in ${t.calls} calls`);
    for (const [role, r] of Object.entries(s.spend.byRole)) lines.push(`  ${role.padEnd(9)} $${r.usd.toFixed(4)}  ${r.inputTokens}+${r.outputTokens} tokens  ${r.calls} calls`);
    for (const [prov, r] of Object.entries(s.spend.byProvider)) lines.push(`  ${prov}: $${r.usd.toFixed(4)}`);
  }
  lines.push(`results: ${s.dir}/results.tsv`);
  return lines.join('\n');
}
