import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type PQueue from 'p-queue';
import type { RwLock } from '../common/index.js';
import { memoryCapGBs, type BuildResult, type Device, type DeviceProfile } from '../devices/index.js';
import type { Target } from '../targets/index.js';
import { judgeTimedRun, type CheckPlan, type TimedJudgement, type Verdict, type Verifier } from '../verifiers/index.js';
import { abTiming, type TimingConfig, type TimingResult } from './ab-timing.js';
import type { Emit } from './events.js';
import type { TargetSession } from './target-session.js';

/** One candidate as a round hands it over: its id, its own folder, and the program. */
export interface EvalCandidate {
  id: string;
  dir: string;
  source: string;
  flags: string[];
}

/** A draft built and, if it built, verified. */
export interface Checked {
  build: BuildResult;
  verdict?: Verdict;
}

/** The verified candidates timed against the baseline, and each timed run judged (outputs, speed against the peak). */
export interface Timings {
  timings: Map<string, TimingResult>;
  judged: Map<string, TimedJudgement>;
}

/**
 * Where a round's candidates are built, verified and timed against its baseline: on this machine
 * (`localEvaluator`, the default) or on a fleet's workers (fleet/). The round decides what to keep;
 * an evaluator only measures.
 */
export interface Evaluator {
  /** Build and verify one draft (one writer's turn). */
  check(c: EvalCandidate): Promise<Checked>;
  /** A/B time the verified candidates against the baseline at the bench size, and judge each timed run. */
  time(cs: (EvalCandidate & Checked)[]): Promise<Timings>;
  /** Time one selected candidate against the baseline again, in fresh pairs (no early decision reused). */
  confirm(c: EvalCandidate & Checked): Promise<TimingResult>;
}

/** What an evaluator may use of a round's dependencies (RoundDeps has them all). */
export interface EvaluatorDeps {
  runDir: string;
  target: Target;
  device: Device;
  deviceProfile: DeviceProfile;
  verifier: Verifier;
  lock: RwLock;
  emit: Emit;
  timing: TimingConfig;
  session: TargetSession;
  remeasureProfile?: () => Promise<DeviceProfile>;
}

/** One round's part in an evaluation: its number, seed and check plan, the queue of builds and checks, the baseline (built here). */
export interface RoundEvaluation {
  round: number;
  seed: number;
  /** The round's check plan, prepared on first use (a fleet's evaluator never uses the coordinator's). */
  plan: () => Promise<CheckPlan>;
  queue: PQueue;
  /** The baseline, and its binary when it was built on this machine (never in a fleet: the workers build their own). */
  baseline: { source: string; flags: string[]; binary?: string };
}

/** Makes the evaluator of one round. */
export type EvaluatorFactory = (d: EvaluatorDeps, r: RoundEvaluation) => Evaluator;

/** Candidates built, verified and timed on this machine, the device's lock shared for builds and checks, exclusive for each timed process. */
export const localEvaluator: EvaluatorFactory = (d, r) => {
  const baseline = () => {
    if (!r.baseline.binary) throw new Error(`${d.target.name}: the local evaluator needs the baseline built on this machine`);
    return { id: 'baseline', binary: r.baseline.binary, workDir: dirname(r.baseline.binary) };
  };
  return {
    check: (c) =>
      r.queue.add(async () => {
        // (the plan takes the lock itself: not from inside it, where a waiting measurement would deadlock us)
        const plan = await r.plan();
        return d.lock.shared(async () => {
          d.emit({ type: 'candidate.state', target: d.target.name, id: c.id, state: 'building' });
          const build = await d.device.build({ target: d.target, source: c.source, flags: c.flags, workDir: c.dir });
          if (!build.ok) return { build };
          d.emit({ type: 'candidate.state', target: d.target.name, id: c.id, state: 'checking' });
          const verdict = await d.verifier.verify(plan, { binary: build.binary!, source: c.source, flags: c.flags, workDir: c.dir });
          writeFileSync(join(c.dir, 'verdict.json'), JSON.stringify(verdict, null, 2));
          return { build, verdict };
        });
      }),

    time: async (verified) => {
      const { target } = d;
      const timings = await abTiming({
        device: d.device,
        target,
        size: target.benchSize,
        input: d.session.benchInput,
        workDir: join(d.runDir, 'baselines'),
        baseline: baseline(),
        candidates: verified.map((v) => ({ id: v.id, binary: v.build.binary!, workDir: v.dir })),
        config: d.timing,
        exclusive: (fn) => d.lock.exclusive(fn),
        outputFor: (id) => join(verified.find((v) => v.id === id)!.dir, 'timed.out'),
      });
      // The gate's last layers on each timed run (verifiers/timed-run.ts, as kloop verify runs them):
      // the outputs it wrote, then a speed the device cannot reach: its compute peak, or, where the bench
      // working set is more than the caches hold, its memory bandwidth. A profile taken while the machine
      // was busy under-reports them: it is measured again (once a run) before a speed is called impossible.
      const limit =
        <T extends number | undefined>(of: (p: DeviceProfile) => T, margin = 1) =>
        async (seen: number): Promise<T> => {
          const l = of(d.deviceProfile);
          if (l === undefined || seen <= l * margin || !d.remeasureProfile) return l;
          d.deviceProfile = await d.remeasureProfile();
          return of(d.deviceProfile);
        };
      const peakGflops = limit((p) => (target.real === 'float' ? p.gflops.fp32.all : p.gflops.fp64.all), 1.1);
      const memoryCap = limit((p) => memoryCapGBs(p, target));
      const judged = new Map<string, TimedJudgement>();
      for (const e of verified) {
        const t = timings.get(e.id);
        if (t?.ok) {
          const run = { binary: e.build.binary!, workDir: e.dir };
          // (the output check shares the device; a limit measured again takes it alone, outside that)
          judged.set(
            e.id,
            await judgeTimedRun({ verifier: d.verifier, bench: d.session.bench, target, outputFile: join(e.dir, 'timed.out'), run, medianNs: t.medianNs, peakGflops, memoryCapGBs: memoryCap, shared: (fn) => d.lock.shared(fn) }),
          );
        }
      }
      return { timings, judged };
    },

    confirm: async (c) =>
      (
        await abTiming({
          device: d.device,
          target: d.target,
          size: d.target.benchSize,
          input: d.session.benchInput,
          workDir: join(d.runDir, 'baselines'),
          baseline: baseline(),
          candidates: [{ id: c.id, binary: c.build.binary!, workDir: c.dir }],
          config: d.timing,
          exclusive: (fn) => d.lock.exclusive(fn),
        })
      ).get(c.id)!,
  };
};
