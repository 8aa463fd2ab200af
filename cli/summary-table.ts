import type { RunSummary } from '../loop/index.js';
import { describeModelQuality } from '../model/index.js';
import { formatBytes } from './format-bytes.js';

const f = (n: number | undefined, d: number) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d));

/** The "vs ref" cell: measured (with its 95% interval), or a remembered figure marked as not measured. */
function vsRef(t: RunSummary['perTarget'][number]): string {
  if (!t.measured) return `~${f(t.vsReference, 2)}x (not measured)`;
  if (!t.pairs) return `${f(t.vsReference, 2)}x`;
  return `${f(t.vsReference, 2)}x [${f(t.ciLow, 2)}-${f(t.ciHigh, 2)}]`;
}

/** The "roof" cell: the share of the roof and which roof: a memory level's ("L2") or peak compute. */
function roofCell(t: RunSummary['perTarget'][number]): string {
  if (t.pctOfRoof === undefined || !Number.isFinite(t.pctOfRoof)) return '-';
  return `${f(t.pctOfRoof, 1)}% ${t.roofBound === 'compute' ? 'compute' : (t.roofLevel ?? 'DRAM')}`;
}

/**
 * The end-of-run table: per target, reference and best time, the speedup over the reference as
 * measured at the end of this run (interleaved, with its 95% interval), the best kernel's verdict,
 * GFLOP/s and % of its roof (the memory level that holds its working set, or peak compute).
 */
export function summaryTable(s: RunSummary): string {
  const head = ['target', 'rounds', 'cands', 'keeps', 'ref ms', 'best ms', 'vs ref [95% CI]', 'verdict', 'GFLOP/s', 'roof'];
  const rows = s.perTarget.map((t) => [t.target, String(t.rounds), String(t.candidates), String(t.keeps), f(t.referenceMs, 2), f(t.bestMs, 3), vsRef(t), t.verdict, f(t.bestGflops, 2), roofCell(t)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const hours = s.elapsedMs / 3_600_000;
  const pairs = [...new Set(s.perTarget.filter((t) => t.measured && t.pairs).map((t) => t.pairs))];
  const lines = [
    line(head),
    ...rows.map(line),
    '',
    `vs ref: reference and best kernel timed against each other, interleaved, in this run${pairs.length ? ` (${pairs.join('/')} pairs)` : ''}; ~: not measured in this run`,
    'roof: % of the roof of the memory level that holds the working set (100% when the kernel moved data faster than that level measured), or of peak compute',
    '',
    `${s.candidates} candidates in ${(s.elapsedMs / 60000).toFixed(1)} min (${hours > 0 ? (s.candidates / hours).toFixed(0) : '-'} per hour), ${s.keeps} kept; stopped: ${s.reason}`,
    // Why each target stopped: the run's budget, a user stop condition, its roof, an exhausted search, broken.
    'why each target stopped:',
    // a broken target's one line is the `skipped` line below: it is not repeated here
    ...s.perTarget.map((t) => `  ${t.target.padEnd(widths[0])}  ${t.stopReason?.startsWith('broken: ') ? 'broken (see skipped below)' : (t.stopReason ?? s.reason)}`),
  ];
  if (s.proposals?.total) lines.push(`proposals: ${s.proposals.rejectedByVerifier} of ${s.proposals.total} rejected by the verifier (${(100 * s.proposals.rejectedShare).toFixed(1)}%), ${s.proposals.buildFailures} did not build`);
  if (s.disk) lines.push(`disk: ${formatBytes(s.disk.bytes)} for ${s.disk.candidates} candidates (bench-size outputs and builds pruned once judged; \`kloop gc\` prunes older runs)`);
  for (const b of s.broken ?? []) lines.push(`skipped ${b.target}: ${b.reason}`);
  if (s.model) lines.push(describeModelQuality(s.model.name, s.model.trained, s.model));
  if (s.sandbox)
    lines.push(
      `sandbox: ${s.sandbox.applied.join(' + ') || 'process group and timeout only'} applied to candidates${s.sandbox.missing.length ? `; missing: ${s.sandbox.missing.map((m) => m.layer).join(', ')} (kloop doctor says why and the fix)` : ''}`,
    );
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
