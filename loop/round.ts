import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { oneShotSessions, programKey, type Analyzer, type Draft, type Profiler, type RoundContext, type Writer, type WriterSession } from '../agents/index.js';
import { ProviderError, type RwLock } from '../common/index.js';
import { targetRoofline, type BuildResult, type Device, type DeviceProfile, type Roofline } from '../devices/index.js';
import type { Baseline, MemoryStore, Winner } from '../memory/index.js';
import { memoryKeyOf, referenceSource, type Target } from '../targets/index.js';
import { formatSize, publicFeedback, type CheckPlan, type Verdict, type Verifier } from '../verifiers/index.js';
import type { TimingConfig } from './ab-timing.js';
import { localEvaluator, type Evaluator, type EvaluatorFactory, type Timings } from './evaluator.js';
import type { CandidateResult, Emit } from './events.js';
import { baselineKey, referenceKey } from './final-timing.js';
import { localMeasurer, type Measurer } from './measurer.js';
import type { GitRecorder } from './git-recorder.js';
import type { TargetSession } from './target-session.js';
import { pruneRound } from './run-disk.js';
import { isMeasured, type ModelRound, type RunModel } from './run-model.js';
import type { Prediction } from '../model/index.js';

export interface RoundDeps {
  runId: string;
  runDir: string;
  target: Target;
  device: Device;
  deviceProfile: DeviceProfile;
  fingerprint: string;
  verifier: Verifier;
  memory: MemoryStore;
  profiler: Profiler;
  analyzer: Analyzer;
  writer: Writer;
  lock: RwLock;
  emit: Emit;
  now: () => Date;
  cores: number;
  candidates: number;
  /** Turns a writer gets to fix its candidate from the verifier's feedback. */
  maxTurns: number;
  timing: TimingConfig;
  git?: GitRecorder;
  /** This target's own state across rounds: bench input and check, built baselines and their times. */
  session: TargetSession;
  /** This target's earlier candidates. */
  history: CandidateResult[];
  /** Measure the device's peaks again (at most once a run): before calling a speed impossible. */
  remeasureProfile?: () => Promise<DeviceProfile>;
  /** True once the run's time is up: remaining work is skipped. */
  outOfTime: () => boolean;
  seed: number;
  /** The compute model (CM1): predicts each draft's time as it arrives, learns from each measured candidate. */
  model?: RunModel;
  /** Where candidates are built, verified and timed (fleet/: a fleet's workers); default: this machine (loop/evaluator.ts). */
  evaluator?: EvaluatorFactory;
  /** Candidates a killed run left without a result (loop/orphans.ts): evaluated first, in the round's first slots. */
  resumed?: Draft[];
  /** Where the baseline is timed alone (a fleet's workers); default: this machine (loop/measurer.ts). */
  measurer?: Measurer;
}

/** A candidate's source file in its folder and on the baselines branch: kernel.c, or kernel.cu on a GPU. */
export const kernelFile = (language: 'c' | 'cuda') => (language === 'cuda' ? 'kernel.cu' : 'kernel.c');

export { baselineKey };

/** The first baseline: the target's reference in the device's language (reference.c, or reference.cu on a GPU); for a session at a node's sizes, kept at those sizes. */
export function referenceBaseline(t: Target, fingerprint: string, now: Date, language: 'c' | 'cuda' = 'c'): Baseline {
  const key = memoryKeyOf(t);
  return {
    target: key.target,
    ...(key.size ? { size: key.size } : {}),
    fingerprint,
    source: referenceSource(t, language),
    flags: [],
    vsReference: 1,
    verdict: 'reference',
    description: 'reference',
    lineage: [],
    updatedAt: now.toISOString(),
  };
}

/** The best kernel memory keeps for a target's session on a device (at its sizes: a plain run's is the bench size's), else the reference. */
export async function keptBaseline(memory: MemoryStore, t: Target, fingerprint: string, now: Date, language: 'c' | 'cuda' = 'c'): Promise<Baseline> {
  const key = memoryKeyOf(t);
  return (await memory.getBaseline(key.target, fingerprint, key.size)) ?? referenceBaseline(t, fingerprint, now, language);
}

interface Evaluated {
  id: string;
  dir: string;
  draft: Draft;
  turns: number;
  build?: BuildResult;
  verdict?: Verdict;
  /** The compute model's prediction for this draft, made before anything was built. */
  prediction?: Prediction;
}

/**
 * One writer's candidate: draft, build, verify; compile errors and verifier failures (without the
 * hidden sizes or seeds) go back to the same writer, up to maxTurns.
 */
async function refine(d: RoundDeps, round: number, session: WriterSession, slot: { id: string; dir: string }, ev: Evaluator, cm?: ModelRound): Promise<Evaluated | undefined> {
  const { target, emit } = d;
  let feedback: string | undefined;
  let last: Evaluated | undefined;
  for (let turn = 1; turn <= d.maxTurns; turn++) {
    let draft: Draft | undefined;
    try {
      draft = await session.next(feedback);
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      emit({ type: 'warning', message: `${slot.id}: writer turn ${turn} failed: ${e.message}` });
      break;
    }
    if (!draft) break;
    const turnDir = join(slot.dir, 'turns');
    mkdirSync(turnDir, { recursive: true });
    if (draft.transcript) {
      writeFileSync(join(turnDir, `turn-${turn}.prompt.md`), draft.transcript.prompt);
      writeFileSync(join(turnDir, `turn-${turn}.reply.md`), draft.transcript.reply);
    }
    const prediction = draft.problem ? undefined : cm?.predict(draft.source, draft.flags);
    if (turn === 1) emit({ type: 'candidate.proposed', target: target.name, round, id: slot.id, description: draft.description, flags: draft.flags, predictedNs: prediction?.ns });
    last = { id: slot.id, dir: slot.dir, draft, turns: turn, prediction };
    if (draft.problem) {
      feedback = draft.problem;
      continue;
    }
    writeFileSync(join(slot.dir, kernelFile(d.device.language)), draft.source);
    writeFileSync(join(turnDir, `turn-${turn}.c`), draft.source);
    writeFileSync(join(slot.dir, 'candidate.json'), JSON.stringify({ id: slot.id, target: target.name, round, turn, description: draft.description, flags: draft.flags, kinds: draft.kinds }, null, 2));
    await d.memory.addTried(target.name, d.fingerprint, [programKey(draft.source, draft.flags)]);
    const current = last;
    Object.assign(current, await ev.check({ ...slot, source: draft.source, flags: draft.flags }));
    if (current.verdict && current.verdict.status !== 'rejected') break;
    feedback = !current.build!.ok ? `The kernel does not compile:\n${current.build!.log.slice(-3000)}` : publicFeedback(current.verdict!);
    writeFileSync(join(turnDir, `turn-${turn}.feedback.txt`), feedback);
  }
  return last;
}

/** One round on one target: profile, analyse, write N (refining), build+verify in parallel, A/B time, keep or discard, reflect. */
export async function runRound(d: RoundDeps, round: number, baseline: Baseline): Promise<{ kept?: string; proposed: number }> {
  const { target, emit } = d;
  emit({ type: 'round.start', target: target.name, round, baseline: baseline.lineage.at(-1)?.candidateId ?? 'reference' });
  // Timed alone at the bench size where the run measures (here, or on a worker of its fleet class).
  const { medianNs, binary: baseBin, measuredBy } = await (d.measurer ?? localMeasurer).baseline(d, baseline);
  if (baseline.verdict === 'reference' && (await d.memory.getReferenceNs(referenceKey(target), d.fingerprint)) === undefined) await d.memory.setReferenceNs(referenceKey(target), d.fingerprint, medianNs);
  const insights = await d.memory.insights({ target: target.name, fingerprint: d.fingerprint, limit: 500 });
  const ctx: RoundContext = { target, baseline, deviceProfile: d.deviceProfile, insights, history: d.history.slice(-30), round, candidates: d.candidates, cores: d.cores, seed: d.seed };
  const profile = await d.profiler.profile({ ...ctx, medianNs });
  emit({ type: 'baseline.profile', target: target.name, round, profile, ...(measuredBy ? { measuredBy } : {}) });
  const diagnosis = await d.analyzer.analyze({ ...ctx, profile });
  emit({ type: 'analysis', target: target.name, round, diagnosis });
  if (d.outOfTime()) {
    emit({ type: 'round.end', target: target.name, round });
    return { proposed: 1 };
  }
  const tried = await d.memory.tried(target.name, d.fingerprint);
  tried.add(programKey(baseline.source, baseline.flags));
  const slots = Array.from({ length: d.candidates }, (_, i) => {
    const id = `${target.name}-r${round}-c${i + 1}`;
    const dir = join(d.runDir, 'candidates', id);
    return { id, dir };
  });
  const cm = d.model?.round({ target, profile: d.deviceProfile, cores: d.cores, baseline, baselineNs: medianNs });
  // The writer's search is CPU work on the machine that times: it holds the device's lock shared, so no
  // measurement (exclusive) runs while it does, and it overlaps another round's builds and checks instead.
  // It pauses at the writer's yield points while a timed run waits, so a measurement never waits for it.
  const resumed = (d.resumed ?? []).slice(0, slots.length);
  const fresh = slots.slice(resumed.length);
  const sessions = [...oneShotSessions(resumed), ...(fresh.length ? await d.lock.shared(() => d.writer.sessions({ ...ctx, profile, diagnosis, tried, slots: fresh, predict: cm?.hint, pause: () => d.lock.yieldShared() })) : [])];
  if (!sessions.length) {
    emit({ type: 'round.end', target: target.name, round, proposed: 0 });
    return { proposed: 0 };
  }
  slots.forEach((s) => mkdirSync(s.dir, { recursive: true }));

  // Prepared when the first candidate is checked here (a fleet's workers prepare their own).
  const planDir = join(d.runDir, 'rounds', `${target.name}-r${round}`);
  let prepared: Promise<CheckPlan> | undefined;
  const plan = () => (prepared ??= d.lock.shared(() => d.verifier.prepare(target, d.seed, planDir)));
  const queue = new PQueue({ concurrency: d.cores });
  const ev = (d.evaluator ?? localEvaluator)(d, { round, seed: d.seed, plan, queue, baseline: { source: baseline.source, flags: baseline.flags, binary: baseBin } });
  const evaluated = (await Promise.all(sessions.map((s, i) => refine(d, round, s, slots[i], ev, cm)))).filter((e): e is Evaluated => !!e);

  const verified = evaluated.filter((e) => e.verdict && e.verdict.status !== 'rejected');
  let { timings, judged }: Timings = { timings: new Map(), judged: new Map() };
  if (verified.length && !d.outOfTime()) {
    verified.forEach((v) => emit({ type: 'candidate.state', target: target.name, id: v.id, state: 'timing' }));
    ({ timings, judged } = await ev.time(verified.map((v) => ({ id: v.id, dir: v.dir, source: v.draft.source, flags: v.draft.flags, build: v.build!, verdict: v.verdict }))));
  }
  const results: CandidateResult[] = evaluated.map((e) => {
    const base = { id: e.id, target: target.name, round, description: e.draft.description, flags: e.draft.flags, kinds: e.draft.kinds, turns: e.turns, predictedNs: e.prediction?.ns, predictedSpeedup: e.prediction?.speedup };
    if (!e.build) return { ...base, status: 'crash', verdict: 'rejected (no code)', reason: e.draft.problem };
    if (!e.build.ok) return { ...base, status: 'crash', verdict: 'rejected (build)', reason: firstError(e.build.log) };
    const v = e.verdict!;
    if (v.status === 'rejected') return { ...base, status: v.layer === 'run' ? 'crash' : 'invalid', verdict: `rejected (${v.layer})`, layer: v.layer, reason: v.reason };
    const t = timings.get(e.id);
    if (!t) return { ...base, status: 'discard', verdict: v.status, reason: 'not timed: the run ran out of time' };
    if (!t.ok) return { ...base, status: 'crash', verdict: v.status, reason: t.error };
    writeFileSync(join(e.dir, 'timings.json'), JSON.stringify(t, null, 2));
    const r = targetRoofline(d.deviceProfile, target, t.medianNs / 1e9);
    const common = { ...base, speedup: t.speedup, ciLow: t.ciLow, ciHigh: t.ciHigh, vsReference: baseline.vsReference * t.speedup, medianNs: t.medianNs, ...roofFields(r), pairs: t.pairs, verdict: v.status };
    const j = judged.get(e.id)!;
    if (!j.ok) return { ...common, status: 'invalid', verdict: `rejected (${j.layer})`, layer: j.layer, reason: j.reason };
    const stoppedBelow = t.stoppedBelowBar ? `; its estimate ${t.speedup.toFixed(3)}x is below ${d.timing.minSpeedup} after ${t.pairs} pairs, so not timed further` : '';
    return { ...common, status: 'discard', reason: t.ciLow > d.timing.minSpeedup ? undefined : `95% CI low ${t.ciLow.toFixed(3)} ≤ ${d.timing.minSpeedup}${stoppedBelow}` };
  });

  // Select the fastest candidate whose interval clears the bar; others that cleared it are discarded.
  // The best of N is biased upwards by its selection: time it again against the baseline in fresh,
  // independent pairs, keep it only if that interval still clears the bar, and record that estimate.
  // When it does not hold, the next fastest gets the same fresh test (up to CONFIRM_TRIES in all):
  // one candidate's noisy selection does not cost the round a faster candidate that would hold.
  const cleared = results.filter((r) => r.status === 'discard' && r.ciLow !== undefined && r.ciLow > d.timing.minSpeedup).sort((a, b) => b.speedup! - a.speedup!);
  const retimed = cleared.slice(0, CONFIRM_TRIES);
  let winner: CandidateResult | undefined;
  for (const c of retimed) {
    if (
      await confirmWinner(
        d,
        round,
        c,
        evaluated.find((x) => x.id === c.id)!,
        ev,
        baseline,
      )
    ) {
      winner = c;
      break;
    }
  }
  if (winner) winner.status = 'keep';
  // The winner's review record is journaled before its result: a run killed anywhere after this
  // point adds it to memory and adopts it on --resume (Runner.applyPendingKeeps), never twice.
  const kept = winner && evaluated.find((x) => x.id === winner.id)!;
  const record = winner && kept && winnerRecord(d, winner, kept, baseline, profile.roofline, diagnosis.summary);
  if (record) emit({ type: 'winner.selected', winner: record });
  for (const r of results) {
    if (r.status === 'discard' && !r.reason) r.reason = winner ? `faster, but ${winner.id} was faster still` : `faster, but not re-timed: the ${retimed.length} fastest were, and none held`;
    emit({ type: 'candidate.result', result: r });
  }
  // The compute model learns from every measured candidate, after its prediction went out with the result.
  await cm?.learn(results.filter(isMeasured).map((r) => ({ ...evaluated.find((x) => x.id === r.id)!.draft, medianNs: r.medianNs!, speedup: r.speedup })));
  // Judged: each folder keeps its source, verdict, timings and transcripts; outputs, builds and the round's plan go (run-disk.ts).
  await pruneRound({ candidateDirs: slots, kept: winner?.id, planDir, log: (message) => emit({ type: 'warning', message }) });

  if (winner && kept && record) {
    await d.memory.addWinner(record);
    const next = nextBaseline(d, baseline, winner, kept.draft.source, kept.verdict!.status === 'proved' ? 'proved' : 'tested');
    await adoptBaseline(d, next, winner);
    d.session.baselineTimes.set(baselineKey(next), winner.medianNs!);
  }

  const outcomes = results.map((r) => ({ candidateId: r.id, kinds: r.kinds, description: r.description, outcome: r.status, speedup: r.speedup, ciLow: r.ciLow, ciHigh: r.ciHigh, reason: r.reason }));
  await d.memory.addInsights(await d.analyzer.reflect({ ...ctx, profile, diagnosis, fingerprint: d.fingerprint, runId: d.runId, outcomes, at: d.now().toISOString() }));
  emit({ type: 'round.end', target: target.name, round, kept: winner?.id, proposed: sessions.length });
  return { kept: winner?.id, proposed: sessions.length };
}

/** The baseline a kept candidate makes: the previous one's lineage plus this step. */
function nextBaseline(d: Pick<RoundDeps, 'target' | 'fingerprint' | 'runId' | 'now'>, baseline: Baseline, winner: CandidateResult, source: string, verdict: 'proved' | 'tested'): Baseline {
  const key = memoryKeyOf(d.target);
  return {
    target: key.target,
    ...(key.size ? { size: key.size } : {}),
    fingerprint: d.fingerprint,
    source,
    flags: winner.flags,
    vsReference: winner.vsReference!,
    medianNs: winner.medianNs,
    verdict,
    description: winner.description,
    lineage: [...baseline.lineage, { candidateId: winner.id, runId: d.runId, speedup: winner.speedup!, description: winner.description, at: d.now().toISOString() }],
    updatedAt: d.now().toISOString(),
  };
}

/** What a reviewer sees of a kept candidate: before and after, the evidence, the idea. */
function winnerRecord(d: RoundDeps, winner: CandidateResult, e: Evaluated, baseline: Baseline, before: { gflops: number; pctOfRoof: number; level: string }, diagnosis: string): Winner {
  const v = e.verdict!;
  const key = memoryKeyOf(d.target);
  return {
    candidateId: winner.id,
    runId: d.runId,
    target: key.target,
    ...(key.size ? { size: key.size } : {}),
    targetDir: d.target.dir,
    fingerprint: d.fingerprint,
    device: d.deviceProfile.fingerprint.model,
    source: e.draft.source,
    flags: e.draft.flags,
    previousSource: baseline.source,
    previousFlags: baseline.flags,
    previousId: baseline.lineage.at(-1)?.candidateId ?? 'reference',
    speedup: winner.speedup!,
    ciLow: winner.ciLow!,
    ciHigh: winner.ciHigh!,
    vsReference: winner.vsReference!,
    gflopsBefore: before.gflops,
    gflopsAfter: winner.gflops,
    pctRoofBefore: before.pctOfRoof,
    pctRoofAfter: winner.pctOfRoof,
    roofLevelBefore: before.level,
    roofLevelAfter: winner.roofLevel,
    verdict: v.status,
    evidence: `${v.status}; layers ${(v.layers ?? []).join(', ')}; ${v.cases.length} checks (${v.cases.filter((c) => c.hidden).length} at verifier-chosen sizes): ${v.cases.map((c) => `${formatSize(c.size)} seed ${c.seed}`).join('; ')}${v.proof ? `; proof: ${v.proof.status}, ${v.proof.reason}` : ''}`,
    description: winner.description,
    diagnosis,
    lineage: ['reference', ...baseline.lineage.map((l) => l.candidateId), winner.id],
    at: d.now().toISOString(),
  };
}

/** Make a kept candidate the baseline: memory first, then the journal, then git. */
export async function adoptBaseline(d: Pick<RoundDeps, 'memory' | 'emit' | 'git' | 'runId' | 'target' | 'device'>, next: Baseline, r: CandidateResult): Promise<void> {
  await d.memory.setBaseline(next);
  d.emit({ type: 'baseline.updated', target: r.target, id: r.id, vsReference: next.vsReference, speedup: r.speedup!, verdict: next.verdict });
  await commitBaseline(d, next, r);
}

/** Commit a new baseline on the run's branch (kloop/<run>), journaled as git.commit. */
export async function commitBaseline(d: Pick<RoundDeps, 'emit' | 'git' | 'runId' | 'device'>, next: Baseline, r: CandidateResult): Promise<void> {
  if (!d.git) return;
  const branch = `kloop/${d.runId}`;
  const dir = `kloop/baselines/${r.target}`;
  const sha = await d.git.commit(branch, { [`${dir}/${kernelFile(d.device.language)}`]: next.source, [`${dir}/baseline.json`]: JSON.stringify({ ...next, source: undefined }, null, 2) + '\n' }, baselineCommitMessage(next, r));
  d.emit({ type: 'git.commit', target: r.target, id: r.id, branch, sha });
}

/**
 * The commit message of a new baseline: the step's speedup over the previous baseline as measured in
 * fresh pairs, with its interval and the verdict the kernel earned (proved or tested); the figure
 * over the reference is a chained estimate and says so.
 */
export function baselineCommitMessage(next: Baseline, r: CandidateResult): string {
  const sel = r.selection ? `; selected at ${r.selection.speedup.toFixed(2)}x over ${r.selection.pairs} pairs, re-timed in ${r.pairs} fresh pairs` : '';
  return `kloop: ${r.target} ${r.speedup!.toFixed(2)}x (95% CI ${r.ciLow!.toFixed(2)}-${r.ciHigh!.toFixed(2)}) [${next.verdict}], ~${next.vsReference.toFixed(1)}x over reference (chained, not measured)\n\n${r.description}\nverdict: ${next.verdict}; flags: ${r.flags.join(' ') || '(none)'}; candidate ${r.id}${sel}`;
}

/** How many of a round's candidates that cleared the bar, fastest first, get a fresh re-timing until one holds. */
export const CONFIRM_TRIES = 2;

/**
 * Time a selected winner against the baseline again, in fresh pairs (its own abTiming, after the
 * selection's). Adopted only if the fresh interval's lower end clears accept.min_speedup; the fresh
 * estimate replaces the selection's in the result (which keeps the selection's under `selection`).
 */
async function confirmWinner(d: RoundDeps, round: number, r: CandidateResult, e: Evaluated, ev: Evaluator, baseline: Baseline): Promise<boolean> {
  const selection = { speedup: r.speedup!, ciLow: r.ciLow!, ciHigh: r.ciHigh!, pairs: r.pairs ?? 0 };
  d.emit({ type: 'candidate.state', target: r.target, id: r.id, state: 'timing' });
  const fresh = await ev.confirm({ id: e.id, dir: e.dir, source: e.draft.source, flags: e.draft.flags, build: e.build!, verdict: e.verdict });
  const est = { speedup: fresh.speedup, ciLow: fresh.ciLow, ciHigh: fresh.ciHigh, pairs: fresh.pairs };
  const adopted = fresh.ok && fresh.ciLow > d.timing.minSpeedup;
  d.emit({ type: 'candidate.retimed', target: r.target, round, id: r.id, selection, fresh: est, adopted });
  r.selection = selection;
  if (!fresh.ok) {
    r.reason = `selected at ${selection.speedup.toFixed(3)}x, but its fresh timing failed: ${fresh.error}`;
    return false;
  }
  writeFileSync(join(e.dir, 'timings.fresh.json'), JSON.stringify(fresh, null, 2));
  const roof = targetRoofline(d.deviceProfile, d.target, fresh.medianNs / 1e9);
  Object.assign(r, est, { vsReference: baseline.vsReference * fresh.speedup, medianNs: fresh.medianNs, ...roofFields(roof) });
  if (!adopted) r.reason = `selected at ${selection.speedup.toFixed(3)}x (CI low ${selection.ciLow.toFixed(3)}), but in ${fresh.pairs} fresh pairs ${fresh.speedup.toFixed(3)}x, 95% CI low ${fresh.ciLow.toFixed(3)} ≤ ${d.timing.minSpeedup}`;
  return adopted;
}

/** What a candidate's result records of its place on the roofline. */
function roofFields(r: Roofline): Pick<CandidateResult, 'gflops' | 'pctOfRoof' | 'roofLevel' | 'roofBound'> {
  return { gflops: r.gflops, pctOfRoof: r.pctOfRoof, roofLevel: r.level, roofBound: r.bound };
}

function firstError(log: string): string {
  return (
    log
      .split('\n')
      .find((l) => /error/i.test(l))
      ?.trim()
      .slice(0, 300) ?? 'build failed'
  );
}
