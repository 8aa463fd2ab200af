import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../common/index.js';
import { formatCapacity, formatLevels, type DeviceProfile } from '../devices/index.js';
import { Journal, parseResults, type Journaled } from '../loop/index.js';
import { modelSection } from './model-plot.js';
import { plansSection } from './plans-section.js';
import { chart, type Series } from './svg.js';

type Ev<T extends Journaled['type']> = Extract<Journaled, { type: T }>;

export interface Report {
  markdown: string;
  files: Record<string, string>;
}

const num = (s: string | undefined) => (s === undefined || s === '' ? undefined : Number(s));
const f = (v: number | undefined, d = 2) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

/**
 * The morning report of a run, from its journal and results.tsv: a summary, the speedup over time
 * per target, a roofline chart placing each target's starting baseline and its winner, and the
 * results table. Markdown with SVG images, ready to paste into a pull request.
 */
export function buildReport(runDir: string): Report {
  const journalFile = join(runDir, 'journal.jsonl');
  if (!existsSync(journalFile)) throw new UserError(`${runDir}: not a run folder (no journal.jsonl)`);
  const events = Journal.read(journalFile);
  const rows = existsSync(join(runDir, 'results.tsv')) ? parseResults(readFileSync(join(runDir, 'results.tsv'), 'utf8')) : [];
  const start = events.find((e): e is Ev<'run.start'> => e.type === 'run.start');
  if (!start) throw new UserError(`${journalFile}: the run never started`);
  const t0 = Date.parse(start.ts);
  const tEnd = Date.parse(events[events.length - 1].ts);
  const minutes = (ts: string) => (Date.parse(ts) - t0) / 60000;
  const profile = [...events].reverse().find((e): e is Ev<'device.profile'> => e.type === 'device.profile')?.profile as DeviceProfile | undefined;
  const targets = start.targets;

  // The figure over the reference that the run measured: reference against best, interleaved (target.final).
  const finals = new Map<string, Ev<'target.final'>>();
  for (const e of events) if (e.type === 'target.final') finals.set(e.target, e);

  // Speedup over the reference, per target, over time (a step line per target): the steps are chained
  // estimates (products of step speedups); the last point is the final measurement when there is one.
  const series: Series[] = targets.map((t) => {
    const first = events.find((e): e is Ev<'baseline.profile'> => e.type === 'baseline.profile' && e.target === t);
    const points: [number, number][] = [[0, first?.profile.vsReference ?? 1]];
    for (const e of events) if (e.type === 'baseline.updated' && e.target === t) points.push([minutes(e.ts), e.vsReference]);
    points.push([(tEnd - t0) / 60000, finals.get(t)?.speedup ?? points[points.length - 1][1]]);
    return { name: t, points, step: true };
  });
  const maxSpeed = Math.max(2, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const files: Record<string, string> = {
    'speedup.svg': chart({
      title: 'Speedup over the reference (chained steps; last point measured)',
      x: { min: 0, max: Math.max(0.1, (tEnd - t0) / 60000), log: false, label: 'minutes into the run' },
      y: { min: 1, max: maxSpeed * 1.2, log: true, label: 'speedup (x)' },
      series,
    }),
  };

  // Roofline: each target's starting baseline and its best kept kernel.
  const placed: Series[] = [];
  for (const t of targets) {
    const first = events.find((e): e is Ev<'baseline.profile'> => e.type === 'baseline.profile' && e.target === t);
    if (!first) continue;
    const ai = first.profile.roofline.intensity;
    const kept = rows.filter((r) => r.target === t && r.status === 'keep').map((r) => num(r.gflops) ?? 0);
    const best = kept.length ? Math.max(...kept) : first.profile.roofline.gflops;
    placed.push({
      name: `${t}`,
      points: [
        [ai, first.profile.roofline.gflops],
        [ai * 1.0001, best],
      ],
    });
  }
  if (profile && placed.length) {
    const ais = placed.map((s) => s.points[0][0]);
    const xmin = Math.min(...ais) / 4;
    const xmax = Math.max(...ais) * 4;
    const peak = profile.gflops.fp32.all;
    const bw = profile.bandwidthGBs.all;
    const ridge = peak / bw;
    const roof: [number, number][] = [[xmin, xmin * bw], ...(ridge > xmin && ridge < xmax ? [[ridge, peak] as [number, number]] : []), [xmax, Math.min(peak, xmax * bw)]];
    // The hierarchical roofline: a slope per memory level up to its ridge, then the compute peak.
    const slope = (gbs: number): [number, number][] => [
      [xmin, xmin * gbs],
      [Math.min(xmax, peak / gbs), Math.min(peak, xmax * gbs)],
    ];
    const levels = profile.levels?.length
      ? [
          ...profile.levels.filter((l) => peak / l.gbs.all > xmin).map((l) => ({ points: slope(l.gbs.all), label: `${l.name} ${l.gbs.all.toFixed(0)} GB/s`, dashed: l.name !== 'DRAM' })),
          {
            points: [
              [xmin, peak],
              [xmax, peak],
            ] as [number, number][],
            label: `peak ${peak.toFixed(0)} GFLOP/s`,
          },
        ]
      : [{ points: roof, label: `roof: ${peak.toFixed(0)} GFLOP/s, ${bw.toFixed(1)} GB/s` }];
    const ys = placed.flatMap((s) => s.points.map((p) => p[1]));
    files['roofline.svg'] = chart({
      title: `Roofline: ${profile.fingerprint.model}`,
      x: { min: xmin, max: xmax, log: true, label: 'arithmetic intensity (flop/byte)' },
      y: { min: Math.min(...ys, xmin * bw) / 2, max: peak * 2, log: true, label: 'GFLOP/s' },
      series: placed,
      lines: levels,
    });
  }

  const model = modelSection(events);
  if (model.svg) files['model.svg'] = model.svg;

  const keeps = rows.filter((r) => r.status === 'keep');
  const spend = existsSync(join(runDir, 'summary.json')) ? (JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { spend?: { total: { usd: number; calls: number } } }).spend : undefined;
  const md: string[] = [];
  md.push(`# kloop run ${start.runId}`, '');
  md.push(
    `${targets.length} target(s), ${rows.length} candidates, ${keeps.length} kept, ${((tEnd - t0) / 60000).toFixed(1)} min${profile ? ` on ${profile.fingerprint.model} (${profile.fingerprint.cores} cores; peak ${profile.gflops.fp32.all.toFixed(0)} GFLOP/s fp32; ${profile.levels?.length ? formatLevels(profile.levels) : `${profile.bandwidthGBs.all.toFixed(1)} GB/s`})` : ''}.${spend && spend.total.calls ? ` Model spend: $${spend.total.usd.toFixed(4)} in ${spend.total.calls} calls.` : ''}`,
    '',
  );
  md.push(
    'Speedup over the reference: the reference and the best kernel timed against each other, interleaved, at the end of this run (95% interval of the geometric mean of the paired ratios). Chained figures (products of step speedups) are estimates and marked so.',
    '',
    '| target | verdict | speedup over the reference (measured in this run) | 95% CI | pairs | best kernel |',
    '|---|---|---|---|---|---|',
  );
  for (const s of series) {
    const fin = finals.get(s.name);
    const last = keeps.filter((r) => r.target === s.name).at(-1);
    const winner = fin && fin.id !== 'reference' ? `${fin.id}${rows.find((r) => r.id === fin.id) ? `: ${rows.find((r) => r.id === fin.id)!.description}` : ''}` : fin ? 'the reference' : last ? `${last.id}: ${last.description}` : '–';
    if (fin) md.push(`| ${s.name} | ${fin.verdict} | ${f(fin.speedup)}x | ${fin.pairs ? `${f(fin.ciLow)}–${f(fin.ciHigh)}` : '–'} | ${fin.pairs} | ${winner} |`);
    else md.push(`| ${s.name} | ${last?.verdict ?? '–'} | ~${f(s.points[s.points.length - 1][1])}x (chained, not measured) | – | – | ${winner} |`);
  }
  md.push('', '![speedup over time](speedup.svg)', '');
  if (files['roofline.svg']) md.push('![roofline](roofline.svg)', '');
  md.push(...roofTable(events, targets, runDir));
  md.push(...model.markdown);
  const plans = plansSection(runDir);
  Object.assign(files, plans.files);
  md.push(...plans.markdown);
  md.push(
    '## Results',
    '',
    'speedup: over the baseline the candidate was timed with (a kept one: in fresh pairs after its selection); vs reference: chained, not measured.',
    '',
    '| id | status | speedup | 95% CI | vs reference (chained) | GFLOP/s | verdict | description |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const r of rows)
    md.push(
      `| ${r.id} | ${r.status} | ${r.speedup || '–'} | ${r.ci_low ? `${r.ci_low}–${r.ci_high}` : '–'} | ${(r.vs_reference_chained ?? r.vs_reference) ? `~${r.vs_reference_chained ?? r.vs_reference}` : '–'} | ${r.gflops || '–'} | ${r.verdict} | ${(r.description ?? '').replace(/\|/g, '\\|').slice(0, 160)} |`,
    );
  return { markdown: md.join('\n') + '\n', files };
}

/**
 * Each target against its hierarchical roof: the memory level that holds its working set (or a
 * faster one the kernel outran), at the start of the run and for its best kernel (the run's end
 * figure from summary.json, else its last kept candidate).
 */
function roofTable(events: Journaled[], targets: string[], runDir: string): string[] {
  type Roof = { pct?: number; level?: string; bound?: string };
  const end = new Map<string, Roof>();
  if (existsSync(join(runDir, 'summary.json'))) {
    const s = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { perTarget?: { target: string; pctOfRoof?: number; roofLevel?: string; roofBound?: string }[] };
    for (const t of s.perTarget ?? []) if (t.roofLevel) end.set(t.target, { pct: t.pctOfRoof, level: t.roofLevel, bound: t.roofBound });
  }
  const cell = (r: Roof | undefined) => (r?.level && r.pct !== undefined ? `${f(r.pct, 1)}% of ${r.bound === 'compute' ? `peak compute (data in ${r.level})` : `the ${r.level} roof`}` : '–');
  const rows: string[] = [];
  for (const t of targets) {
    const first = events.find((e): e is Ev<'baseline.profile'> => e.type === 'baseline.profile' && e.target === t)?.profile.roofline;
    if (!first?.level) continue;
    const kept = events.filter((e): e is Ev<'candidate.result'> => e.type === 'candidate.result' && e.result.target === t && e.result.status === 'keep').at(-1)?.result;
    const best = end.get(t) ?? (kept?.roofLevel ? { pct: kept.pctOfRoof, level: kept.roofLevel, bound: kept.roofBound } : undefined);
    rows.push(`| ${t} | ${formatCapacity(first.workingSetBytes)} in ${first.fitsIn} | ${cell({ pct: first.pctOfRoof, level: first.level, bound: first.bound })} | ${cell(best)} |`);
  }
  if (!rows.length) return [];
  return [
    'Against the hierarchical roof: each target is placed at the memory level that holds its working set (at 100% of it when it moved data faster than that level measured).',
    '',
    '| target | working set | start | best |',
    '|---|---|---|---|',
    ...rows,
    '',
  ];
}

/** Write report.md and its images into `outDir` (default: the run's report/ folder). */
export function writeReport(runDir: string, outDir = join(runDir, 'report')): string {
  const r = buildReport(runDir);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.md'), r.markdown);
  for (const [name, content] of Object.entries(r.files)) writeFileSync(join(outDir, name), content);
  return join(outDir, 'report.md');
}
