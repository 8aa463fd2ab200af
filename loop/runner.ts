import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CostLedger, type Analyzer, type Draft, type Profiler, type Spend, type SpendTotals, type Writer } from '../agents/index.js';
import { Rng, RwLock, shortHash, UserError } from '../common/index.js';
import { targetRoofline, type Device, type DeviceProfile } from '../devices/index.js';
import type { MemoryStore } from '../memory/index.js';
import { decide, type Left } from '../policy/index.js';
import { memoryKeyOf, type Target } from '../targets/index.js';
import { drawBenchInput, makeInputs, type Verifier } from '../verifiers/index.js';
import type { TimingConfig } from './ab-timing.js';
import type { Emit, KloopEvent, RunOptionsSnapshot, TargetFinal } from './events.js';
import { localMeasurer, type Measurer } from './measurer.js';
import type { GitRecorder } from './git-recorder.js';
import { Journal } from './journal.js';
import type { ProcessMs } from './metered-sandbox.js';
import { writeResults } from './results-tsv.js';
import { adoptBaseline, commitBaseline, keptBaseline, kernelFile, referenceBaseline, runRound, type RoundDeps } from './round.js';
import { finalCostMs, referenceKey } from './final-timing.js';
import { applyEvent, elapsedMs, emptyState, pendingKeeps, progressOf, replay, type RunState } from './state.js';
import { claimRun, releaseRun } from './run-owner.js';
import { TargetSession } from './target-session.js';
import { settleRun, type RunDisk } from './run-disk.js';
import { RunModel, runModelQuality } from './run-model.js';
import { buildArchive } from './archive.js';
import { orphanedCandidates } from './orphans.js';
import { steered } from './steered-writer.js';
import type { EvaluatorFactory } from './evaluator.js';
import type { LiveSettings, Reload } from './live-config.js';
import type { WorkflowSnapshot } from '../workflow/index.js';
import { runStopOf, targetStopOf, type StopCondition, type StopState } from './stop.js';

export interface RunnerDeps {
  runsDir: string;
  targets: Target[];
  device: Device;
  verifier: Verifier;
  memory: MemoryStore;
  profiler: Profiler;
  analyzer: Analyzer;
  writer: Writer;
  git?: GitRecorder;
  /** Every event, for views (CLI log, TUI). The journal gets them too. */
  onEvent?: (e: KloopEvent) => void;
  now?: () => Date;
  cores: number;
  /** Writer turns per candidate (refinement); the built-in writer uses one. */
  maxTurns?: number;
  timing: TimingConfig;
  options: RunOptionsSnapshot;
  /** Continue this run instead of starting a new one. */
  resume?: string;
  budget?: { usd?: number; tokens?: number };
  /** Epoch ms until which the writer's provider is paused (0: not paused). */
  writerPausedUntil?: () => number;
  /** Which agent runs each role, for the journal. */
  agents?: Record<string, string>;
  sleep?: (ms: number) => Promise<void>;
  /** Extra wall-time accounting, if the sandbox is metered. */
  busyMs?: () => { compile: number; run: number; any: number; idleGaps?: readonly [number, number][]; processMs?: ProcessMs };
  /** Targets that did not load (a run over several targets skips them): reported at start and in the summary. */
  broken?: { target: string; reason: string }[];
  /** Amdahl weights for PO1: per target, its share of a workload's time (default 1: the target alone). */
  weights?: Record<string, number>;
  /** Where candidates are built, verified and timed (a fleet's workers); default: this machine. */
  evaluator?: EvaluatorFactory;
  /** Where the device's profile, the baselines' times and the final pairs are measured (a fleet's workers, with `device` its class's); default: this machine. */
  measurer?: Measurer;
  /** The configuration the run starts with, journaled in run.start (what --resume continues with). */
  workflow?: { hash: string; snapshot: WorkflowSnapshot };
  /** WORKFLOW.md edits, asked at each round boundary (loop/live-config.ts). */
  reload?: { poll(current: LiveSettings): Reload | undefined };
}

/** A target stops early when its best reaches 90% of its measured roof. */
const NEAR_ROOF_PCT = 10;
/** Widenings of a target's search before it counts as exhausted. */
const WIDEN_CAP = 4;

export interface RunSummary {
  runId: string;
  dir: string;
  reason: string;
  elapsedMs: number;
  candidates: number;
  keeps: number;
  perTarget: {
    target: string;
    rounds: number;
    candidates: number;
    keeps: number;
    /**
     * Over the reference: measured in this run (reference and best timed interleaved, `pairs`
     * pairs, 95% interval ciLow–ciHigh) when `measured`; otherwise the baseline's remembered figure.
     */
    vsReference: number;
    measured: boolean;
    ciLow?: number;
    ciHigh?: number;
    pairs?: number;
    /** The best kernel's candidate id and verdict (proved | tested | reference). */
    best: string;
    verdict: string;
    referenceMs?: number;
    bestMs?: number;
    bestGflops?: number;
    pctOfRoof?: number;
    /** The memory level whose roof pctOfRoof is of (the smallest that holds the working set, or a faster one the kernel outran: devices/roofline.ts), and whether the roof there is memory or compute. */
    roofLevel?: string;
    roofBound?: 'memory' | 'compute';
    /**
     * Why the target stopped: the run's end (a budget spent, the deadline), a user stop condition,
     * within 10% of its roof, search exhausted after widening, or broken: why.
     */
    stopReason: string;
  }[];
  /** Wall time with a compile or kernel process running, and with a timed run holding the device alone (exclusiveMs). */
  busy?: {
    compileMs: number;
    runMs: number;
    anyMs: number;
    outsideShare: number;
    exclusiveMs?: number;
    /** Intervals with no compile or kernel process (this process's performance.now(), from and to); not written to summary.json. */
    idleGaps?: readonly [number, number][];
    /** Process-seconds (ms) by what ran: compiles, check runs, timed runs, other (see MeteredSandbox.processMs). */
    processMs?: ProcessMs;
  };
  /** What became of the writers' proposals: the verifier's rejections (any layer, timed-run checks included) and build failures, of all proposals. */
  proposals?: { total: number; rejectedByVerifier: number; buildFailures: number; rejectedShare: number };
  spend: { total: SpendTotals; byRole: Record<string, SpendTotals>; byProvider: Record<string, SpendTotals>; byTarget: Record<string, SpendTotals> };
  /** Targets skipped as broken (bad target.yaml or reference.c, refused outputs), with the one-line reason. */
  broken: { target: string; reason: string }[];
  /** Bytes under the run folder at its end, after pruning (run-disk.ts). */
  disk?: RunDisk;
  /** The sandbox layers applied to candidates, and those missing with why and the fix. */
  sandbox?: { applied: string[]; missing: { layer: string; detail: string }[] };
  /**
   * The compute model's quality on this run's candidates, each predicted before the model trained on
   * it: n pairs, Spearman rank correlation of predicted and measured speedups (and times), median
   * |error| of the predicted time in %; `trained`: measurements it has learned from, all runs.
   */
  model?: { name: string; trained: number; n: number; spearman?: number; spearmanNs?: number; medianAbsErrorPct?: number };
}

function newRunId(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}-${Math.floor(Math.random() * 0xffff)
    .toString(16)
    .padStart(4, '0')}`;
}

/** Runs rounds across targets (round-robin) until a stop condition holds; writes runs/<id>/. */
export class Runner {
  private readonly now: () => Date;
  readonly runId: string;
  readonly dir: string;
  private readonly journal: Journal;
  private readonly state: RunState;
  private readonly lock = new RwLock();
  readonly ledger = new CostLedger();
  /** The sandbox's layers, reported at start (one warning line per missing layer). */
  sandboxReport?: { level: string; layers: { layer: string; ok: boolean; detail: string }[]; probeMs: number };
  /** Warnings raised while the run was being wired, journaled once it starts. */
  readonly pendingWarnings: string[] = [];
  /** What a WORKFLOW.md edit may change at a round boundary: options, timing, budget, agents. */
  private live: LiveSettings;

  constructor(private readonly d: RunnerDeps) {
    this.now = d.now ?? (() => new Date());
    if (d.resume) {
      this.runId = d.resume;
      this.dir = join(d.runsDir, d.resume);
      if (!existsSync(join(this.dir, 'journal.jsonl'))) throw new UserError(`--resume ${d.resume}: no journal at ${join(this.dir, 'journal.jsonl')}`);
      this.state = replay(this.runId, Journal.read(join(this.dir, 'journal.jsonl')));
    } else {
      this.runId = newRunId(this.now());
      this.dir = join(d.runsDir, this.runId);
      this.state = emptyState(this.runId);
    }
    for (const sp of this.state.spend) this.ledger.add(sp);
    mkdirSync(join(this.dir, 'candidates'), { recursive: true });
    this.journal = new Journal(join(this.dir, 'journal.jsonl'), this.now);
    this.live = {
      options: d.options,
      timing: d.timing,
      budget: d.budget,
      agents: { profiler: d.profiler, analyzer: d.analyzer, writer: d.writer, maxTurns: d.maxTurns, describe: d.agents, pausedUntil: d.writerPausedUntil },
    };
  }

  /**
   * A round boundary: an edit to WORKFLOW.md since the last one applies now, to work not yet
   * started (journaled with the diff of effective settings); one that does not load keeps the
   * configuration in force and says why, once.
   */
  private reloadWorkflow(): void {
    const r = this.d.reload?.poll(this.live);
    if (!r) return;
    if (r.kind === 'invalid') {
      this.emit({ type: 'workflow.invalid', file: r.file, hash: r.hash, message: r.message });
      return;
    }
    const agentsChanged = r.live.agents !== this.live.agents;
    this.emit({
      type: 'workflow.reloaded',
      file: r.file,
      hash: r.hash,
      applied: r.applied,
      restart: r.restart,
      overrides: r.overrides,
      workflow: r.workflow,
      options: r.live.options,
      agents: agentsChanged ? r.live.agents.describe : undefined,
    });
    this.live = r.live;
  }

  /** Every change of run state: journaled, then applied by the one reducer (the same one --resume folds the journal with). */
  private emit: Emit = (e) => {
    const known = this.state.results.length;
    applyEvent(this.state, this.journal.append(e));
    if (this.state.results.length !== known) writeResults(join(this.dir, 'results.tsv'), this.state.results);
    this.d.onEvent?.(e);
  };

  /** Called for every model call (through the metered providers). */
  recordUsage = (s: Spend): void => {
    this.ledger.add(s);
    this.emit({ type: 'model.usage', spend: s });
  };

  warn = (message: string): void => this.emit({ type: 'warning', message });

  private stopState(): StopState {
    const t = this.ledger.total();
    return { elapsedMs: this.elapsedMs(), now: this.now(), spentUsd: t.usd, spentTokens: t.inputTokens + t.outputTokens };
  }

  private elapsedMs(): number {
    return elapsedMs(this.state, this.now().getTime());
  }

  /**
   * What is left of the run's time, money and tokens, for PO1's budget fit: the time less `reserveMs`,
   * what the final measurements still owed are expected to take (so that they end inside the budget).
   */
  private left(reserveMs = 0): Left {
    const { options: o, budget } = this.live;
    const s = this.stopState();
    const ms = Math.min(o.minutes ? o.minutes * 60_000 - s.elapsedMs : Infinity, o.deadline ? Date.parse(o.deadline) - s.now.getTime() : Infinity) - reserveMs;
    return { ms: Number.isFinite(ms) ? ms : undefined, usd: budget?.usd ? budget.usd - (s.spentUsd ?? 0) : undefined, tokens: budget?.tokens ? budget.tokens - (s.spentTokens ?? 0) : undefined };
  }

  async run(): Promise<RunSummary> {
    const { d } = this;
    claimRun(this.dir, this.now()); // run-owner.ts: kloop gc leaves a live run alone
    const fp = await d.device.fingerprint();
    // A resumed run goes on measuring on the device it started on (a fleet class whose workers changed is another device).
    if (d.resume && this.state.fingerprint && this.state.fingerprint !== fp.id)
      throw new UserError(`--resume ${this.runId}: the run measured on device ${this.state.fingerprint}, but its device now is ${fp.id} (${fp.model}, ${fp.cores} cores): its figures would mix two devices; start a new run`);
    if (d.resume) this.emit({ type: 'run.resume', runId: this.runId, pid: process.pid });
    else this.emit({ type: 'run.start', runId: this.runId, targets: d.targets.map((t) => t.name), fingerprint: fp.id, options: d.options, agents: d.agents, pid: process.pid, workflow: d.workflow });
    writeResults(join(this.dir, 'results.tsv'), this.state.results);
    for (const m of this.pendingWarnings.splice(0)) this.warn(m);
    for (const b of d.broken ?? []) this.warn(`skipping target ${b.target}: ${b.reason}`);
    if (this.sandboxReport) {
      this.emit({ type: 'sandbox', ...this.sandboxReport });
      for (const l of this.sandboxReport.layers) if (!l.ok) this.warn(`sandbox layer ${l.layer} missing: ${l.detail}`);
    }

    // The device's profile: memory's, or measured now; in a fleet, the class's as its workers published it.
    const measurer = d.measurer ?? localMeasurer;
    const run = await measurer.profile({ fingerprint: fp.id, device: d.device, memory: d.memory, lock: this.lock, dir: this.dir });
    let profile = run.profile;
    this.emit({ type: 'device.profile', profile, measured: run.measured, ...(run.by ? { by: run.by } : {}) });
    const model = await RunModel.open(d.memory, fp.id, this.warn);

    await this.applyPendingKeeps(fp.id);

    // Stop conditions follow the settings in force (a WORKFLOW.md edit may change them between rounds).
    // Never idle: a target stops early only on the user's conditions, within 10% of its roof, or once
    // its search is exhausted after widening; otherwise it runs until the run's budget is spent.
    const runStop: StopCondition = (s) => runStopOf(this.live.options, this.live.budget)(s);
    const targetStop: StopCondition = (s) => targetStopOf(this.live.options, NEAR_ROOF_PCT, WIDEN_CAP)(s);
    const sessions = new Map<string, Promise<TargetSession>>();
    let remeasured: Promise<DeviceProfile> | undefined;
    const rng = new Rng(Number.parseInt(shortHash(this.runId).slice(0, 8), 16));
    // A resumed run evaluates first what the killed one had sent out and never saw answered (in a
    // fleet, usually finished meanwhile and answered from the stored result).
    const orphans = new Map<string, Draft[]>();
    if (d.resume)
      for (const o of orphanedCandidates(this.dir, this.state, kernelFile(d.device.language))) {
        if (!orphans.has(o.target)) orphans.set(o.target, []);
        orphans.get(o.target)!.push(o.draft);
      }
    const policyRng = new Rng(Number.parseInt(shortHash(`${this.runId}/policy`).slice(0, 8), 16));
    let reason = 'all targets stopped';
    /** A target's session (its bench input and check, built baselines and their times), opened once per run. */
    const sessionOf = (target: Target): Promise<TargetSession> => {
      let s = sessions.get(target.name);
      if (!s) {
        // A fleet's workers draw their own bench inputs: the coordinator runs nothing on its device.
        s = !measurer.local
          ? Promise.resolve(TargetSession.remote(target))
          : TargetSession.open(target, async (t) => {
              const file = join(this.dir, 'rounds', `${t.name}-bench.in`);
              mkdirSync(join(this.dir, 'rounds'), { recursive: true });
              const draw = drawBenchInput(); // a fresh seed and distribution per run, like a check's
              this.emit({ type: 'bench.input', target: t.name, seed: draw.seed, distribution: draw.distribution });
              const inputs = makeInputs(t, t.benchSize, draw.seed, draw.distribution, { bench: true });
              writeFileSync(file, inputs.bytes);
              return { input: file, bench: await this.lock.shared(() => d.verifier.prepareBench(t, file, inputs.arrays, join(this.dir, 'bench'))) };
            });
        // A target whose bench input cannot be prepared is tried again next time (and reported broken by the caller).
        s.catch(() => sessions.delete(target.name));
        sessions.set(target.name, s);
      }
      return s;
    };
    /**
     * The target's "vs reference" figure, measured now: its reference against its best kernel,
     * interleaved (journaled as target.final, stored on the baseline). Once per best kernel per run;
     * targets this run never worked on keep their remembered figure.
     */
    const finalize = async (target: Target): Promise<void> => {
      if (!progressOf(this.state, target.name).rounds) return;
      const best = await keptBaseline(d.memory, target, fp.id, this.now(), d.device.language);
      const id = best.lineage.at(-1)?.candidateId ?? 'reference';
      if (this.state.finals.get(target.name)?.id === id) return;
      let final: TargetFinal;
      try {
        const session = await sessionOf(target);
        final = await measurer.final({ runDir: this.dir, target, device: d.device, lock: this.lock, session, timing: this.live.timing }, referenceBaseline(target, fp.id, this.now(), d.device.language), best);
      } catch (e) {
        this.warn(`${target.name}: no final measurement against the reference: ${(e as Error).message.split('\n')[0]}`);
        return;
      }
      this.emit({ type: 'target.final', ...final });
      if (final.id !== 'reference') await d.memory.setBaseline({ ...best, vsReference: final.speedup, measured: { ciLow: final.ciLow, ciHigh: final.ciHigh, pairs: final.pairs, runId: this.runId, at: this.now().toISOString() } });
    };

    /** The time the final measurements still owed are expected to take (finalCostMs), over every target worked on. */
    const finalsReserveMs = async (): Promise<number> => {
      let ms = 0;
      for (const t of d.targets) {
        if (!progressOf(this.state, t.name).rounds) continue;
        const key = memoryKeyOf(t);
        const [best, ref] = await Promise.all([d.memory.getBaseline(key.target, fp.id, key.size), d.memory.getReferenceNs(referenceKey(t), fp.id)]);
        const id = best?.lineage.at(-1)?.candidateId ?? 'reference';
        if (id === 'reference' || this.state.finals.get(t.name)?.id === id || !best?.medianNs || !ref) continue;
        ms += finalCostMs(ref, best.medianNs, this.live.timing);
      }
      return ms;
    };

    // Rounds of different targets overlap (loop.pipeline, default 2): one target's search, builds and
    // checks run while another's candidates are timed. Timing holds the device's lock exclusively, so
    // no build, check or search of another round runs during a measurement.
    const inFlight = new Map<string, Promise<unknown>>();
    const settle = () => Promise.race(inFlight.values());
    for (;;) {
      this.reloadWorkflow();
      const opts = this.live.options;
      const pipeline = Math.max(1, opts.pipeline ?? 1);
      const stopNow = runStop(this.stopState());
      if (stopNow) {
        reason = stopNow;
        break;
      }
      // A writer whose provider stays down: wait for it (the stop conditions still apply).
      const pausedUntil = this.live.agents.pausedUntil?.() ?? 0;
      if (pausedUntil > Date.now()) {
        await (d.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(Math.min(30_000, pausedUntil - Date.now()));
        continue;
      }
      // Targets whose stop condition holds stop now (and get their final measurement).
      for (const t of d.targets) {
        if (this.state.stopped.has(t.name) || inFlight.has(t.name)) continue;
        const arm = this.state.policy.arms.get(t.name);
        const why = targetStop({ elapsedMs: this.elapsedMs(), now: this.now(), target: { ...progressOf(this.state, t.name), widen: arm?.widen, pctOfRoof: arm?.pctOfRoof } });
        if (!why) continue;
        this.emit({ type: 'target.stopped', target: t.name, reason: why });
        await finalize(t);
      }
      const active = d.targets.filter((t) => !this.state.stopped.has(t.name) && !inFlight.has(t.name));
      if (!active.length || inFlight.size >= pipeline) {
        if (!inFlight.size) break;
        await settle();
        continue;
      }
      // PO1 (policy/): the target whose next round is expected to gain the most per second, within what is left.
      const decision = decide({
        stats: this.state.policy,
        arms: active.map((t) => ({ target: t.name, weight: d.weights?.[t.name], roundsLeft: opts.rounds ? opts.rounds - progressOf(this.state, t.name).rounds : undefined })),
        left: this.left(await finalsReserveMs()),
        rng: policyRng,
      });
      const target = active.find((t) => t.name === decision.target);
      const n = this.state.policy.decisions + 1;
      if (!target && inFlight.size) {
        // nothing else fits what is left: the rounds in flight finish first
        await settle();
        continue;
      }
      if (!target) {
        this.emit({ type: 'policy.decision', n, why: decision.why, arms: decision.arms });
        reason = `budget nearly spent: ${decision.why}`;
        break;
      }
      const p = progressOf(this.state, target.name);
      const widen = this.state.policy.arms.get(target.name)?.widen ?? 0;
      const baseline = await keptBaseline(d.memory, target, fp.id, this.now(), d.device.language);
      const session = await this.unlessBroken(target, () => sessionOf(target));
      if (!session) continue;
      // Widened: restart also from diverse good variants (memory's winners, this run's near-best candidates).
      const archive = widen
        ? await buildArchive({ memory: d.memory, target: target.name, winnersOf: memoryKeyOf(target).target, fingerprint: fp.id, runDir: this.dir, kernelFile: kernelFile(d.device.language), results: this.state.results, baseline })
        : undefined;
      this.emit({ type: 'policy.decision', n, target: target.name, round: p.rounds + 1, why: decision.why, arms: decision.arms, widen, archive: archive?.length, families: decision.families });
      const deps: RoundDeps = {
        runId: this.runId,
        runDir: this.dir,
        target,
        device: d.device,
        deviceProfile: profile,
        fingerprint: fp.id,
        verifier: d.verifier,
        memory: d.memory,
        profiler: this.live.agents.profiler,
        analyzer: this.live.agents.analyzer,
        writer: steered(this.live.agents.writer, { widen, archive, familyWeights: decision.families }),
        lock: this.lock,
        emit: this.emit,
        now: this.now,
        cores: d.cores,
        candidates: opts.candidates,
        maxTurns: this.live.agents.maxTurns ?? 1,
        history: this.state.results.filter((r) => r.target === target.name),
        timing: this.live.timing,
        git: d.git,
        session,
        outOfTime: () => !!runStop(this.stopState()),
        remeasureProfile: !measurer.local
          ? undefined
          : async () => {
              remeasured ??= this.lock
                .exclusive(() => d.device.measureProfile(join(this.dir, 'device-profile')))
                .then(async (p) => {
                  await d.memory.putProfile(p);
                  this.emit({ type: 'device.profile', profile: p, measured: true });
                  profile = p;
                  return p;
                });
              return remeasured;
            },
        seed: rng.u32(),
        model,
        evaluator: d.evaluator,
        measurer,
        resumed: orphans.get(target.name)?.splice(0, opts.candidates),
      };
      // The round journals its own start and end (round.start, round.end): the counters follow from them.
      // A round in which the writer has nothing new widens the next one (state.ts, policy/arm-stats.ts).
      const round = this.unlessBroken(target, () => runRound(deps, p.rounds + 1, baseline)).finally(() => inFlight.delete(target.name));
      round.catch(() => undefined); // awaited below (settle, or at the end); a failure still ends the run there
      inFlight.set(target.name, round);
    }
    await Promise.all(inFlight.values());
    // The run's end: every target worked on and not yet measured gets its final measurement.
    for (const t of d.targets) await finalize(t);
    // Disk: what no later step reads goes, what stays is measured (run-disk.ts).
    const disk = await settleRun(this.dir, this.state.results, this.warn);
    this.emit({ type: 'model.quality', model: model.name, fingerprint: fp.id, trained: model.trained, quality: runModelQuality(this.state.results) });
    this.emit({ type: 'run.end', reason, disk });
    const summary = await this.summarize(reason, fp.id, profile, disk);
    releaseRun(this.dir);
    return summary;
  }

  /**
   * A target's own problem (a UserError: a reference that does not build or crashes, outputs that
   * cannot tell right from wrong) stops that target with one line, and the run goes on with the
   * others; when no target is left, the error ends the run (exit code 2).
   */
  private async unlessBroken<T>(target: Target, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      const broken = [...this.state.stopped.values()].filter((why) => why.startsWith('broken: ')).length;
      if (broken + 1 >= this.d.targets.length) throw e;
      const reason = e.message.split('\n')[0];
      this.emit({ type: 'target.stopped', target: target.name, reason: `broken: ${reason}` });
      return undefined;
    }
  }

  /**
   * Keeps whose adoption a kill interrupted, finished now, each step idempotent: the review record
   * into memory (journaled as winner.selected before the keep), the baseline update, and the git
   * commit unless the branch already holds one for the candidate.
   */
  private async applyPendingKeeps(fp: string): Promise<void> {
    const { git } = this.d;
    for (const r of pendingKeeps(this.state, !!git)) {
      const target = this.d.targets.find((t) => t.name === r.target);
      if (!target) continue;
      const winner = this.state.winners.get(r.id);
      if (winner) await this.d.memory.addWinner(winner);
      const deps = { memory: this.d.memory, emit: this.emit, git, runId: this.runId, target, device: this.d.device };
      const current = await keptBaseline(this.d.memory, target, fp, this.now(), this.d.device.language);
      if (!this.state.adopted.has(r.id)) {
        if (!current.lineage.some((l) => l.candidateId === r.id)) {
          const source = readFileSync(join(this.dir, 'candidates', r.id, kernelFile(this.d.device.language)), 'utf8');
          const next = {
            ...current,
            source,
            flags: r.flags,
            vsReference: r.vsReference!,
            medianNs: r.medianNs,
            verdict: r.verdict === 'proved' ? ('proved' as const) : ('tested' as const),
            description: r.description,
            lineage: [...current.lineage, { candidateId: r.id, runId: this.runId, speedup: r.speedup!, description: r.description, at: this.now().toISOString() }],
            updatedAt: this.now().toISOString(),
          };
          await adoptBaseline(deps, next, r);
          continue;
        }
        this.emit({ type: 'baseline.updated', target: r.target, id: r.id, vsReference: current.vsReference, speedup: r.speedup! });
      }
      if (!git || this.state.committed.has(r.id)) continue;
      const branch = `kloop/${this.runId}`;
      const landed = await git.commitMentioning(branch, `candidate ${r.id}`);
      if (landed) this.emit({ type: 'git.commit', target: r.target, id: r.id, branch, sha: landed });
      else if (current.lineage.at(-1)?.candidateId === r.id) await commitBaseline(deps, current, r);
    }
  }

  private async summarize(reason: string, fp: string, profile: DeviceProfile, disk?: RunDisk): Promise<RunSummary> {
    const { d } = this;
    const rows = this.state.results;
    const perTarget: RunSummary['perTarget'] = [];
    for (const t of d.targets) {
      const mine = rows.filter((r) => r.target === t.name);
      const key = memoryKeyOf(t);
      const b = await d.memory.getBaseline(key.target, fp, key.size);
      const ref = await d.memory.getReferenceNs(referenceKey(t), fp);
      const final = this.state.finals.get(t.name);
      // Times from the final measurement when there was one: reference and best from the same pairs.
      const bestNs = final?.bestNs ?? b?.medianNs ?? ref;
      const refNs = final?.referenceNs ?? ref;
      const roof = bestNs ? targetRoofline(profile, t, bestNs / 1e9) : undefined;
      perTarget.push({
        target: t.name,
        rounds: progressOf(this.state, t.name).rounds,
        candidates: mine.length,
        keeps: mine.filter((r) => r.status === 'keep').length,
        vsReference: final?.speedup ?? b?.vsReference ?? 1,
        measured: !!final,
        ciLow: final?.ciLow,
        ciHigh: final?.ciHigh,
        pairs: final?.pairs,
        best: final?.id ?? b?.lineage.at(-1)?.candidateId ?? 'reference',
        verdict: final?.verdict ?? b?.verdict ?? 'reference',
        referenceMs: refNs && refNs / 1e6,
        bestMs: bestNs && bestNs / 1e6,
        bestGflops: roof?.gflops,
        pctOfRoof: roof?.pctOfRoof,
        roofLevel: roof?.level,
        roofBound: roof?.bound,
        stopReason: this.state.stopped.get(t.name) ?? reason,
      });
    }
    const elapsedMs = this.elapsedMs();
    const busy = d.busyMs?.();
    const spend = { total: this.ledger.total(), byRole: this.ledger.by((s) => s.role), byProvider: this.ledger.by((s) => `${s.provider}/${s.model}`), byTarget: this.ledger.by((s) => s.target) };
    const summary: RunSummary = {
      spend,
      runId: this.runId,
      dir: this.dir,
      reason,
      elapsedMs,
      candidates: rows.length,
      keeps: rows.filter((r) => r.status === 'keep').length,
      proposals: proposalOutcomes(rows),
      perTarget,
      broken: [...(d.broken ?? []), ...[...this.state.stopped].filter(([, why]) => why.startsWith('broken: ')).map(([t, why]) => ({ target: t, reason: why.slice(8) }))],
      disk,
      model: this.state.model,
      sandbox: this.sandboxReport && { applied: this.sandboxReport.layers.filter((l) => l.ok).map((l) => l.layer), missing: this.sandboxReport.layers.filter((l) => !l.ok).map(({ layer, detail }) => ({ layer, detail })) },
      busy: busy && {
        compileMs: busy.compile,
        runMs: busy.run,
        anyMs: busy.any,
        exclusiveMs: this.lock.exclusiveMs,
        outsideShare: 1 - busy.any / (this.now().getTime() - (this.state.sessionStart ?? this.now().getTime())),
        idleGaps: busy.idleGaps,
        processMs: busy.processMs,
      },
    };
    writeFileSync(join(this.dir, 'summary.json'), JSON.stringify(summary, (k, v: unknown) => (k === 'idleGaps' ? undefined : v), 2) + '\n');
    return summary;
  }
}

/** The share of proposals the verifier rejected (a build failure or a reply without code is not the verifier's). */
export function proposalOutcomes(rows: { verdict: string }[]): NonNullable<RunSummary['proposals']> {
  const rejectedByVerifier = rows.filter((r) => /^rejected \((?!build\)|no code\))/.test(r.verdict)).length;
  const buildFailures = rows.filter((r) => r.verdict === 'rejected (build)').length;
  return { total: rows.length, rejectedByVerifier, buildFailures, rejectedShare: rows.length ? rejectedByVerifier / rows.length : 0 };
}
