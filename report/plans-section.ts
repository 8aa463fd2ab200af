import { readPlanRecords } from '../plans/index.js';

/**
 * The plans a run made for its workloads (kloop run --workload): per workload, the graph coloured by
 * device, GP1's predicted time against the measured one, the speedup over the single-device plan
 * with its interval, the verification, and whether it was kept.
 */
export function plansSection(runDir: string): { markdown: string[]; files: Record<string, string> } {
  const records = readPlanRecords(runDir);
  if (!records.length) return { markdown: [], files: {} };
  const files: Record<string, string> = {};
  const md = [
    '## Plans',
    '',
    "Each workload's plan across this machine's devices (GP1): predicted from node times measured in this run, then verified against the graph oracle and timed against the single-device plan, interleaved. A plan is kept only if verified and its interval clears accept.min_speedup.",
    '',
    '| workload | devices | predicted ms | measured ms | single-device ms (measured) | speedup | 95% CI | verification | kept |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const f = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(2));
  for (const r of records) {
    md.push(
      `| ${r.workload} | ${r.set} | ${f(r.predictedMs)} | ${f(r.measuredMs)} | ${f(r.singleMs)} | ${r.speedup ? `${f(r.speedup.speedup)}x` : '–'} | ${r.speedup ? `${f(r.speedup.ciLow)}–${f(r.speedup.ciHigh)} (${r.speedup.pairs} pairs)` : '–'} | ${r.verdict.replace(/\|/g, '\\|').slice(0, 120)} | ${r.kept ? 'yes' : 'no'} |`,
    );
    files[`plan-${r.workload}.svg`] = r.svg;
  }
  md.push('');
  for (const r of records) md.push(`![plan of ${r.workload}](plan-${r.workload}.svg)`, '');
  return { markdown: md, files };
}
