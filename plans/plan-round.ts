import { join } from 'node:path';
import type { AcpDescriptor } from '../devices/index.js';
import type { KeptPlan, MemoryStore } from '../memory/index.js';
import type { Workload } from '../workloads/index.js';
import { bindPlan, type BoundPlan } from './bind.js';
import { buildPlan } from './build.js';
import { checkPlan } from './check.js';
import type { GpuLink, NodeKernel } from './cost.js';
import type { PlanExecutor } from './executor.js';
import { fleetTraffic, measureInWaves, type PlanFleetHook } from './fleet-plan.js';
import { writeWorkloadInputs } from './inputs.js';
import { measureDeviceSizes, timePlans, type PlanTiming } from './measure.js';
import { costModel } from './cost.js';
import { proposeWithModel, type PlanProposer } from './model-partitioner.js';
import type { Candidate } from './partition.js';
import type { CepDevice } from './schema.js';
import { rejectedPlans, rejectionOf } from './plan-reviews.js';
import { planWorkload, type WorkloadPlans } from './plan-workload.js';
import { verifyPlan, type PlanVerdict } from './verify.js';
import type { WaveTiming } from './wave-verify.js';

/** Every node whole on the CPU (the plan any other must beat). */
export function singleDevicePlan(w: Workload, d: AcpDescriptor): BoundPlan {
  const devices = [{ name: d.kind, acp: d.fingerprint.id, kind: d.kind }];
  return bindPlan(
    buildPlan(
      w,
      devices,
      0,
      w.nodes.map((n) => [{ device: 0, rows: [0, n.rows ? n.rows.extent : 1] }]),
    ),
    w,
    'single-device plan',
  );
}

/** A plan's program, built (its static check first: a plan GP1 made that fails it is kloop's bug). */
export async function buildChecked(executor: PlanExecutor, kernels: Map<string, NodeKernel>, b: BoundPlan, dir: string): Promise<{ bound: BoundPlan; binary: string }> {
  const v = checkPlan(b);
  if (!v.ok) throw new Error(`plan refused by the static check: ${v.reason}`);
  const p = await executor.build(b, kernels, v.order, dir);
  if (!p.ok) throw new Error(`the plan's program does not build:\n${p.log}`);
  return { bound: b, binary: p.binary };
}

/**
 * This machine's GPU offered to a plan round (the CPU + GPU device set, as `kloop plan WORKLOAD`
 * weighs it: local-gpu.ts weighedGpu): its node times and link where measured now, and an executor
 * that builds for it (nvcc, or kloop's CPU emulation of CUDA: then a GPU plan is verified, never
 * timed nor kept). The round's `kernels` carry each target's CUDA kernel (withGpuKernels).
 */
export interface PlanRoundGpu {
  device: CepDevice;
  descriptor: AcpDescriptor;
  measured?: Map<string, number>;
  link?: GpuLink;
  executor: PlanExecutor;
}

export interface PlanRoundResult {
  workload: string;
  plans: WorkloadPlans;
  /** The plan the round tried: GP1's best, or the model partitioner's when it was predicted faster. */
  chosen: Candidate;
  /** "2 core groups", "whole CPU", or "model partitioner". */
  set: string;
  /** What became of the model partitioner's proposal, when there is one. */
  model?: string;
  /** Per node: its time on the whole CPU, measured at the round's start (ns). */
  measured: Map<string, number>;
  verdict?: PlanVerdict;
  /** Timed in one process per plan (PlanTiming), or, for a plan with fleet workers, whole executions in waves (WaveTiming: what moved in `fleet`). */
  timing?: PlanTiming | WaveTiming;
  kept?: KeptPlan;
  /** Why the plan was or was not kept, in one line. */
  why: string;
}

/**
 * One plan round for a workload (`kloop run --workload`): each node timed on the whole CPU, GP1's
 * plan from those times; if it is not the single-device plan, it is verified (static check, then an
 * execution against the graph oracle) and timed against the single-device plan in interleaved pairs
 * (every timed run's outputs compared too). It is kept in memory only if verified and the lower end
 * of its speedup's 95% interval is above `minSpeedup`.
 */
export async function planRound(o: {
  workload: Workload;
  descriptor: AcpDescriptor;
  kernels: Map<string, NodeKernel>;
  executor: PlanExecutor;
  memory: MemoryStore;
  dir: string;
  runId: string;
  minSpeedup: number;
  pairs: number;
  reps: number;
  seed: number;
  now: () => string;
  /** How long each timed process runs its plan (default 50 ms; node times are measured over twice that). */
  targetMs?: number;
  /** Node times per device size (default: measured now, measureDeviceSizes); tests inject their own. */
  measure?: () => Promise<Map<number, Map<string, number>>>;
  /** A model-backed partitioner (agents.partitioner): its plan is weighed against GP1's by the same prediction. */
  proposer?: PlanProposer;
  /** A fleet's workers (kloop run --workload --fleet): offered to GP1 and the partitioner beside this CPU; a plan that uses them is measured in waves (fleet-plan.ts). */
  fleet?: PlanFleetHook;
  /** This machine's GPU (or its emulation): offered to GP1 and the partitioner beside this CPU; a plan that uses it is verified and timed with its executor. */
  gpu?: PlanRoundGpu;
}): Promise<PlanRoundResult> {
  const w = o.workload;
  const single = await buildChecked(o.executor, o.kernels, singleDevicePlan(w, o.descriptor), join(o.dir, 'single'));
  const input = join(o.dir, 'inputs.bin');
  writeWorkloadInputs(w, o.seed, input);
  const measuredByThreads = o.measure
    ? await o.measure()
    : await measureDeviceSizes({ executor: o.executor, kernels: o.kernels, workload: w, descriptor: o.descriptor, dir: o.dir, input, reps: o.reps, targetMs: o.targetMs && 2 * o.targetMs });
  const measured = measuredByThreads.get(o.descriptor.units.count)!;
  const workers = o.fleet?.workers ?? [];
  const g = o.gpu;
  const plans = planWorkload({ workload: w, descriptor: o.descriptor, kernels: o.kernels, measuredByThreads, workers, gpu: g && { device: g.device, descriptor: g.descriptor, measured: g.measured, link: g.link } });
  let best: Candidate = plans.best.candidate;
  let set = plans.best.set;
  let model: string | undefined;
  // Plans a reviewer rejected for this workload: the partitioner is told, and none is kept again.
  const rejected = await rejectedPlans(o.memory, w.name);
  if (o.proposer) {
    const descriptors = new Map([[o.descriptor.fingerprint.id, o.descriptor], ...workers.map((x) => [x.device.acp, x.descriptor] as const), ...(g ? [[g.device.acp, g.descriptor] as const] : [])]);
    const jobMs = new Map(workers.flatMap((x) => (x.jobMs !== undefined ? [[x.device.worker!, x.jobMs] as const] : [])));
    const m = await proposeWithModel({
      proposer: o.proposer,
      workload: w,
      descriptor: o.descriptor,
      descriptors,
      plans,
      measured,
      costFor: (devices) => costModel({ devices, descriptors, kernels: o.kernels, measured, measuredByThreads, jobMs, gpuMeasured: g?.measured, gpuLink: g?.link }),
      rejected,
    });
    if (!m.candidate) model = m.problem;
    else if (m.candidate.plan.devices.some((d) => d.worker) && m.candidate.plan.devices.some((d) => d.kind === 'cuda'))
      model = "its plan uses the GPU and fleet workers together, which kloop does not run (a worker's part runs in waves, the GPU's in one process): GP1's plan instead";
    else if (m.candidate.sim.ms < best.sim.ms) {
      model = `chosen: predicted ${m.candidate.sim.ms.toFixed(2)} ms, GP1's ${best.sim.ms.toFixed(2)} ms`;
      best = m.candidate;
      set = 'model partitioner';
    } else model = `not chosen: predicted ${m.candidate.sim.ms.toFixed(2)} ms, GP1's ${best.sim.ms.toFixed(2)} ms`;
  }
  const base = { workload: w.name, plans, measured, chosen: best, set, model };
  if (best === plans.single.candidate) return { ...base, why: `GP1 predicts no plan beats the single-device plan (${plans.sets.map((s) => `${s.set} ${s.candidate.sim.ms.toFixed(2)} ms`).join(', ')}): nothing to try` };
  const again = rejectionOf(best.plan, rejected);
  if (again) return { ...base, why: `not tried: the ${set} plan is identical to one rejected in review for ${again.devices} (${again.at}: "${again.reason}"), so it is not kept again` };
  const bound = bindPlan(best.plan, w, `GP1 plan of ${w.name}`);
  let verdict: PlanVerdict;
  let timing: PlanTiming | WaveTiming;
  let how = '';
  if (bound.devices.some((d) => d.worker)) {
    // Fleet workers among its devices: verified and timed in waves, against the single-device plan executed the same way.
    if (!o.fleet) throw new Error(`the ${set} plan names fleet workers, but the round has no fleet`);
    const m = await measureInWaves({ bound, single: single.bound, executor: o.executor, kernels: o.kernels, memory: o.memory, remoteFor: o.fleet.remoteFor, dir: join(o.dir, 'waves'), pairs: o.pairs, seed: o.seed });
    verdict = m.verdict;
    if (!verdict.ok) return { ...base, verdict, why: `not kept: rejected (${verdict.stage}): ${verdict.reason}` };
    if (!m.timing) return { ...base, verdict, why: `not kept: rejected (${m.failed!.stage}): ${m.failed!.reason}` };
    timing = m.timing;
    how = `, whole executions in waves, the plan's moving ${fleetTraffic(m.timing.fleet)}`;
  } else if (bound.devices.some((d) => d.kind === 'cuda')) {
    // The GPU among its devices: verified and timed with the GPU's executor, the single-device plan timed beside it the same way.
    const gpu = bound.devices.find((d) => d.kind === 'cuda')!;
    if (!g) throw new Error(`the ${set} plan names GPU device ${gpu.name}, but the round has no GPU`);
    verdict = await verifyPlan(bound, { executor: g.executor, kernels: o.kernels, dir: join(o.dir, 'verify'), seed: o.seed });
    if (!verdict.ok) return { ...base, verdict, why: `not kept: rejected (${verdict.stage}): ${verdict.reason}` };
    if (g.executor.emulatesGpu)
      return {
        ...base,
        verdict,
        why: `not kept: ${set} plan verified with GPU device ${gpu.name} emulated on this CPU (${best.sim.ms.toFixed(2)} ms predicted); not timed: GPU device ${gpu.name} is emulated on the CPU, where every CUDA thread is an OS thread and its times say nothing about a GPU, so no plan is kept from it`,
      };
    const mine = await buildChecked(g.executor, o.kernels, bound, join(o.dir, 'plan'));
    timing = await timePlans({ executor: g.executor, dir: o.dir, input: join(o.dir, 'verify', 'inputs.bin'), oracleOut: join(o.dir, 'verify', 'oracle.out'), pairs: o.pairs, reps: o.reps, targetMs: o.targetMs }, [single, mine]);
    how = `, GPU ${gpu.name}'s kernels, launches, synchronizes and cudaMemcpy copies inside the timed executions`;
  } else {
    verdict = await verifyPlan(bound, { executor: o.executor, kernels: o.kernels, dir: join(o.dir, 'verify'), seed: o.seed });
    if (!verdict.ok) return { ...base, verdict, why: `not kept: rejected (${verdict.stage}): ${verdict.reason}` };
    const mine = await buildChecked(o.executor, o.kernels, bound, join(o.dir, 'plan'));
    timing = await timePlans({ executor: o.executor, dir: o.dir, input: join(o.dir, 'verify', 'inputs.bin'), oracleOut: join(o.dir, 'verify', 'oracle.out'), pairs: o.pairs, reps: o.reps, targetMs: o.targetMs }, [single, mine]);
  }
  const s = timing.speedup;
  const figure = `${s.speedup.toFixed(2)}x [95% CI ${s.ciLow.toFixed(2)}-${s.ciHigh.toFixed(2)}, ${s.pairs} pairs] over the single-device plan (${timing.ms[1].toFixed(2)} vs ${timing.ms[0].toFixed(2)} ms measured${how}; ${best.sim.ms.toFixed(2)} ms predicted)`;
  if (!(s.ciLow > o.minSpeedup)) return { ...base, verdict, timing, why: `not kept: ${set} plan ${figure}; its interval does not clear accept.min_speedup ${o.minSpeedup}` };
  const kept: KeptPlan = {
    workload: w.name,
    workloadHash: w.hash,
    workloadDir: w.dir,
    devices: [...new Set(best.plan.devices.map((d) => d.acp))].join('+'),
    plan: best.plan,
    predictedMs: best.sim.ms,
    measuredMs: timing.ms[1],
    singleMs: timing.ms[0],
    speedup: s.speedup,
    ciLow: s.ciLow,
    ciHigh: s.ciHigh,
    pairs: s.pairs,
    verification: verdict.checked,
    runId: o.runId,
    at: o.now(),
  };
  await o.memory.setPlan(kept);
  return { ...base, verdict, timing, kept, why: `kept: ${set} plan ${figure}, verified` };
}
