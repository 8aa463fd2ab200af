/**
 * `npm run bench:model -- RUN_DIR... [--memory DIR]`: how well the compute model (CM1) predicts, on
 * runs that already happened. Replays their measured candidates in journal order through a fresh
 * model, predicting each before training on it (as the loop does), over the runs given in order (the
 * model carries over from one to the next, as it does in memory), and prints a table: CM1, the
 * static cost model alone (rank only: its units are arbitrary) and "no change" (the baseline's
 * time), each with n, Spearman ρ of predicted against measured speedups and median |error| of the
 * predicted time (the static model only where both programs parse; CM1 on those same pairs too).
 * Sources come from the runs' candidate folders; a baseline kept in an earlier run not given here is
 * looked up in the memory's winners (--memory: the memory folder, default .kloop/memory). --dump
 * FILE writes each measured candidate's features, CM1 inputs and target as a JSON line.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceProfile } from '../devices/index.js';
import { Journal, type CandidateResult, type Journaled } from '../loop/index.js';
import { FileStore } from '../memory/index.js';
import { cacheSizesOf, Cm1Model, cm1Inputs, featurize, FEATURE_NAMES, modelQuality, spearman, type FeatureContext, type QualityPair } from '../model/index.js';
import { resolveTarget, type Target } from '../targets/index.js';

const args = process.argv.slice(2);
const option = (name: string, dflt?: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : dflt;
};
const memoryDir = option('--memory', '.kloop/memory')!;
/** --dump FILE: one JSON line per measured candidate (features, the model's inputs, y), for work on the model. */
const dump = option('--dump');
const runs = args;
if (!runs.length) {
  console.error('usage: model-replay RUN_DIR... [--memory DIR]');
  process.exit(2);
}

type Ev<T extends Journaled['type']> = Extract<Journaled, { type: T }>;
const COST = FEATURE_NAMES.indexOf('log_static_cost');
const PARSED = FEATURE_NAMES.indexOf('parsed');

const winners = existsSync(memoryDir) ? await new FileStore(memoryDir).winners() : [];
/** Candidates' programs by run and id (ids repeat across runs). */
const programs = new Map<string, { source: string; flags: string[] }>();
const dumped: string[] = [];
const model = new Cm1Model();
const rows: string[] = [];
const all = { cm1: [] as QualityPair[], staticPred: [] as number[], cm1Pred: [] as number[], measured: [] as number[] };

for (const dir of runs) {
  const events = Journal.read(join(dir, 'journal.jsonl'));
  const start = events.find((e): e is Ev<'run.start'> => e.type === 'run.start');
  const profile = [...events].reverse().find((e): e is Ev<'device.profile'> => e.type === 'device.profile')?.profile as DeviceProfile | undefined;
  if (!start || !profile) continue;
  const targets = new Map<string, Target>();
  for (const t of [...start.options.targets, ...start.targets]) {
    try {
      const target = resolveTarget(t);
      if (!targets.has(target.name)) targets.set(target.name, target);
    } catch {
      // a target folder that is gone: its rounds are skipped
    }
  }
  const results = events.filter((e): e is Ev<'candidate.result'> => e.type === 'candidate.result').map((e) => e.result);
  for (const r of results) {
    const file = join(dir, 'candidates', r.id, 'kernel.c');
    if (existsSync(file)) programs.set(`${dir}\0${r.id}`, { source: readFileSync(file, 'utf8'), flags: r.flags });
  }
  // A round's baseline: kept earlier in this run, else in an earlier run given (the latest), else a winner in memory.
  const adopted = new Set<string>();
  const baselineOf = (id: string) => {
    if (adopted.has(id)) return programs.get(`${dir}\0${id}`);
    for (const earlier of runs.slice(0, runs.indexOf(dir)).reverse()) if (programs.has(`${earlier}\0${id}`)) return programs.get(`${earlier}\0${id}`);
    const w = winners.filter((x) => x.candidateId === id).at(-1);
    return w && { source: w.source, flags: w.flags };
  };
  const run = { cm1: [] as QualityPair[], staticPred: [] as number[], cm1Pred: [] as number[], measured: [] as number[], noChange: [] as QualityPair[] };
  for (const e of events) {
    if (e.type === 'baseline.updated') adopted.add(e.id);
    if (e.type !== 'round.start') continue;
    const target = targets.get(e.target);
    const baseNs = events.find((x): x is Ev<'baseline.profile'> => x.type === 'baseline.profile' && x.target === e.target && x.round === e.round)?.profile.medianNs;
    const base = e.baseline === 'reference' ? target && { source: target.referenceSource, flags: [] } : baselineOf(e.baseline);
    if (!target || !baseNs || !base) continue;
    const ctx: FeatureContext = { target, profile, cores: profile.fingerprint.cores, ...cacheSizesOf(profile) };
    const bx = featurize(base.source, base.flags, ctx);
    const measured = results.filter((r: CandidateResult) => r.target === e.target && r.round === e.round && (r.status === 'keep' || r.status === 'discard') && r.medianNs && r.speedup && programs.has(`${dir}\0${r.id}`));
    const queries = measured.map((r) => {
      const p = programs.get(`${dir}\0${r.id}`)!;
      return { r, q: { features: featurize(p.source, p.flags, ctx), baseline: bx, baselineNs: baseNs } };
    });
    for (const { r, q } of queries) {
      const p = model.predict(q);
      if (p) run.cm1.push({ predictedNs: p.ns, measuredNs: r.medianNs!, predictedSpeedup: p.speedup, measuredSpeedup: r.speedup });
      run.noChange.push({ predictedNs: baseNs, measuredNs: r.medianNs! });
      if (p && q.features[PARSED] === 1 && bx[PARSED] === 1) {
        run.staticPred.push(Math.exp(bx[COST] - q.features[COST]));
        run.cm1Pred.push(p.speedup);
        run.measured.push(r.speedup!);
      }
    }
    for (const { r, q } of queries) {
      model.update(q, r.medianNs!, r.speedup);
      if (dump)
        dumped.push(JSON.stringify({ run: dir, id: r.id, target: e.target, round: e.round, y: -Math.log(r.speedup!), inputs: cm1Inputs(q), features: q.features, baseline: q.baseline, baselineNs: q.baselineNs, description: r.description }));
    }
  }
  const q = modelQuality(run.cm1);
  const nc = modelQuality(run.noChange);
  const st = spearman(run.staticPred, run.measured);
  const fmt = (v: number | undefined, d = 2) => (v === undefined ? '–' : v.toFixed(d));
  rows.push(
    `| ${dir.split('/').pop()} | ${q.n} | ${fmt(q.spearman)} | ${fmt(q.medianAbsErrorPct, 1)}% | ${run.staticPred.length} | ${fmt(st)} | ${fmt(spearman(run.cm1Pred, run.measured))} | ${fmt(nc.medianAbsErrorPct, 1)}% | ${model.trained} |`,
  );
  all.cm1.push(...run.cm1);
  all.staticPred.push(...run.staticPred);
  all.cm1Pred.push(...run.cm1Pred);
  all.measured.push(...run.measured);
}
const q = modelQuality(all.cm1);
const fmt = (v: number | undefined, d = 2) => (v === undefined ? '–' : v.toFixed(d));
console.log('| run | CM1 n | CM1 ρ (speedups) | CM1 median abs error | parsed pairs | static cost ρ | CM1 ρ on them | "no change" median abs error | trained after |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(`| all | ${q.n} | ${fmt(q.spearman)} | ${fmt(q.medianAbsErrorPct, 1)}% | ${all.staticPred.length} | ${fmt(spearman(all.staticPred, all.measured))} | ${fmt(spearman(all.cm1Pred, all.measured))} | | ${model.trained} |`);
if (dump) writeFileSync(dump, dumped.join('\n') + '\n');
