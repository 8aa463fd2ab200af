import { dirname, join } from 'node:path';
import { UserError, type RwLock } from '../common/index.js';
import { isCurrentProfile, type Device, type DeviceProfile, type TimedRun } from '../devices/index.js';
import type { Baseline, MemoryStore } from '../memory/index.js';
import type { Target } from '../targets/index.js';
import { describeExit } from '../sandboxes/index.js';
import { firstCompilerError, referenceBuildError, referenceRunError } from '../verifiers/index.js';
import type { TimingConfig } from './ab-timing.js';
import type { TargetFinal } from './events.js';
import { baselineKey, buildProgram, measureFinal } from './final-timing.js';
import type { TargetSession } from './target-session.js';

/** What a measurement of one target may use: the run's folder, the target, the device and its lock, the target's session, the timing settings. */
export interface MeasureDeps {
  runDir: string;
  target: Target;
  device: Device;
  lock: RwLock;
  session: TargetSession;
  timing: TimingConfig;
}

/** A baseline's time at the bench size, measured alone in this run, and where. */
export interface BaselineTime {
  medianNs: number;
  /** Its binary, when it was built on this machine (the local evaluator times candidates against it). */
  binary?: string;
  /** The fleet worker that measured it (absent: this machine). */
  measuredBy?: string;
}

/** The device's HP1 profile for the run, and where it came from. */
export interface RunProfile {
  profile: DeviceProfile;
  /** Measured now (not taken from memory or a worker). */
  measured: boolean;
  /** The fleet worker whose published profile it is (absent: this machine's). */
  by?: string;
}

/**
 * Where the run's own figures are measured, besides its candidates (loop/evaluator.ts): the device's
 * profile (the roofline's denominator), each baseline timed alone at the bench size (the profiler's
 * input) and the final reference-against-best pairs. On this machine (`localMeasurer`), or on the
 * workers of a fleet's device class (fleet/fleet-measurer.ts), never a mix: every figure of a run is
 * of one device, the one memory keys it by.
 */
export interface Measurer {
  /** True when bench inputs are drawn and baselines built here (a fleet's workers prepare their own). */
  readonly local: boolean;
  profile(o: { fingerprint: string; device: Device; memory: MemoryStore; lock: RwLock; dir: string }): Promise<RunProfile>;
  /** The baseline's median time at the bench size (once per baseline per run: the session keeps it). */
  baseline(d: MeasureDeps, b: Baseline): Promise<BaselineTime>;
  /** The reference and the best kernel timed against each other, interleaved, in fixed pairs. */
  final(d: MeasureDeps, reference: Baseline, best: Baseline): Promise<TargetFinal>;
}

/** The baseline's one line when it does not build: the reference's problem (its file), or a remembered baseline that no longer builds. */
export function baselineBuildError(target: Target, b: Baseline, log: string): UserError {
  return b.verdict === 'reference' ? referenceBuildError(target, log, 'baseline') : new UserError(`${target.name}: the remembered baseline ${b.lineage.at(-1)?.candidateId} no longer builds: ${firstCompilerError(log)}`);
}

/** The baseline's one line when its timed run fails (`how`: describeExit's words). */
export function baselineRunError(target: Target, b: Baseline, how: string, stderr: string): UserError {
  return b.verdict === 'reference' ? referenceRunError(target, target.benchSize, how, stderr, 'baseline') : new UserError(`${target.name}: the baseline failed its timed run (${how}): ${stderr.trim().split('\n')[0]?.slice(0, 200) ?? ''}`);
}

/** One program's timed run alone at the bench size, the device held exclusively (the same run on a worker). */
export function timeAlone(d: Pick<MeasureDeps, 'target' | 'device' | 'lock'> & { input: string; timing: Pick<TimingConfig, 'minMs' | 'maxReps'> }, binary: string, timeoutMs = 900_000): Promise<TimedRun> {
  const { target } = d;
  return d.lock.exclusive(() => d.device.time({ binary, target, size: target.benchSize, input: d.input, minMs: d.timing.minMs, maxReps: d.timing.maxReps, workDir: dirname(binary), timeoutMs }));
}

/** The median of a timed run's per-call times (the upper middle one of an even count). */
export const medianNs = (timesNs: number[]): number => [...timesNs].sort((a, b) => a - b)[timesNs.length >> 1];

/** Every figure measured on this machine's device (a run without a fleet). */
export const localMeasurer: Measurer = {
  local: true,

  profile: async ({ fingerprint, device, memory, lock, dir }) => {
    // A profile stored before the hierarchical roofline (no levels) is measured again.
    const stored = await memory.getProfile(fingerprint);
    if (isCurrentProfile(stored)) return { profile: stored, measured: false };
    const profile = await lock.exclusive(() => device.measureProfile(join(dir, 'device-profile')));
    await memory.putProfile(profile);
    return { profile, measured: true };
  },

  baseline: async (d, b) => {
    const binary = await buildProgram({ ...d, baselineBinaries: d.session.baselineBinaries }, b).catch((e: Error) => {
      // A reference (or remembered baseline) that does not build is the target's problem: one line.
      if (!/no longer builds/.test(e.message)) throw e;
      throw baselineBuildError(d.target, b, e.message);
    });
    const key = baselineKey(b);
    const known = d.session.baselineTimes.get(key);
    if (known !== undefined) return { medianNs: known, binary };
    const r = await timeAlone({ ...d, input: d.session.benchInput }, binary);
    if (!r.ok) throw baselineRunError(d.target, b, describeExit(r.run), r.run.stderr);
    const ns = medianNs(r.timesNs);
    d.session.baselineTimes.set(key, ns);
    return { medianNs: ns, binary };
  },

  final: (d, reference, best) => measureFinal({ ...d, baselineBinaries: d.session.baselineBinaries, benchInput: d.session.benchInput }, reference, best),
};
