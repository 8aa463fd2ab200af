import { join } from 'node:path';
import { UserError } from '../common/index.js';
import type { AcpDescriptor } from '../devices/index.js';
import type { MemoryStore } from '../memory/index.js';
import type { BoundPlan } from './bind.js';
import type { NodeKernel } from './cost.js';
import type { PlanExecutor } from './executor.js';
import { workloadInputs } from './inputs.js';
import { chooseKernels } from './local.js';
import type { CepDevice } from './schema.js';
import type { PlanVerdict } from './verify.js';
import { WaveFailed, type RunRemote } from './wave-executor.js';
import { buildWavePlan, timeInWaves, verifyInWaves, type WavePlan, type WaveTiming } from './wave-verify.js';

/** A fleet worker offered to GP1 as a plan device (`worker`), with its published descriptor and a plan job's round trip to it, measured now (ms). */
export interface PlanWorker {
  device: CepDevice;
  descriptor: AcpDescriptor;
  jobMs?: number;
}

/** Runs a bound plan's worker devices' batches as plan jobs (fleet/plan-batch.ts fleetRemote over an open fleet), each device with its kernels. */
export type RemoteFor = (bound: BoundPlan, kernelsFor: (device: number) => Map<string, NodeKernel>) => RunRemote;

/** A fleet for plans: the workers it offers GP1 this round, and how plans reach them. plans/ never imports fleet/: the caller wires it. */
export interface PlanFleetHook {
  workers: PlanWorker[];
  remoteFor: RemoteFor;
}

export interface InWaves {
  verdict: PlanVerdict;
  /** The plan timed against the single-device plan, both executed in waves (when verified and both built). */
  timing?: WaveTiming;
  /** Why it was not timed though verified: a program that does not build, or a wave that failed while timed (a worker gone). */
  failed?: { stage: 'build' | 'timing'; reason: string };
}

/**
 * A plan whose devices include fleet workers, measured as `kloop plan --run --fleet`, bench:plans
 * and plan rounds all do: each worker device runs memory's best kernels for its fingerprint (else
 * the references), this machine's devices `kernels`; the plan is verified in waves against the
 * graph oracle, then timed against the single-device plan executed the same way (one wave, one
 * process) in interleaved pairs, every execution compared with the oracle. A job refused, failed
 * or unanswered, or a worker gone, is the plan's verdict, never an exception.
 */
export async function measureInWaves(o: {
  bound: BoundPlan;
  single: BoundPlan;
  executor: PlanExecutor;
  kernels: Map<string, NodeKernel>;
  memory: MemoryStore | undefined;
  remoteFor: RemoteFor;
  dir: string;
  pairs: number;
  seed: number;
}): Promise<InWaves> {
  const b = o.bound;
  const forDevice = new Map<number, Map<string, NodeKernel>>();
  for (const [i, d] of b.devices.entries()) forDevice.set(i, d.worker ? await chooseKernels(o.memory, b.workload, d.acp) : o.kernels);
  const remote = o.remoteFor(b, (d) => forDevice.get(d)!);
  const verdict = await verifyInWaves(b, { executor: o.executor, kernels: o.kernels, remote, dir: join(o.dir, 'verify'), seed: o.seed });
  if (!verdict.ok) return { verdict };
  const plans: WavePlan[] = [];
  for (const [k, p] of [o.single, b].entries()) {
    const w = await buildWavePlan(o.executor, o.kernels, p, join(o.dir, `build-${k}`));
    if ('ok' in w) return { verdict, failed: { stage: 'build', reason: `${k ? 'the plan' : 'the single-device plan'} does not build: ${w.reason}` } };
    plans.push(w);
  }
  try {
    const timing = await timeInWaves({ executor: o.executor, dir: o.dir, inputs: workloadInputs(b.workload, o.seed), oracleOut: join(o.dir, 'verify', 'oracle.out'), pairs: o.pairs, remote }, plans);
    return { verdict, timing };
  } catch (e) {
    // A wave that fails while timed (a worker gone, a timed execution computing something else) is a verdict, not a crash.
    if (e instanceof WaveFailed || e instanceof UserError) return { verdict, failed: { stage: 'timing', reason: e.message } };
    throw e;
  }
}

/** What a timed execution in waves moved, per execution (medians): "2 fleet jobs: 12.0 KiB to workers, 8.0 KiB back, 40.1 ms of round trips, 20.3 ms of it the jobs' own work on the workers". */
export function fleetTraffic(f: WaveTiming['fleet']): string {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  return `${f.jobs} fleet jobs: ${kib(f.bytesIn)} to workers, ${kib(f.bytesOut)} back, ${f.remoteMs.toFixed(1)} ms of round trips, ${f.workerMs.toFixed(1)} ms of it the jobs' own work on the workers`;
}
