import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { numbersAfter } from '../devices/harness-protocol.js';
import { median, speedupCI } from '../loop/index.js';
import { describeExit } from '../sandboxes/index.js';
import type { BoundPlan } from './bind.js';
import type { AcpDescriptor } from '../devices/index.js';
import type { Workload } from '../workloads/index.js';
import { bindPlan } from './bind.js';
import { buildPlan } from './build.js';
import { checkPlan } from './check.js';
import { compareOutputs } from './compare.js';
import type { NodeKernel } from './cost.js';
import { cpuDeviceSets } from './local.js';
import type { CepDevice } from './schema.js';
import type { PlanExecutor } from './executor.js';

export interface PlanTiming {
  /** Median of each process's median time of a whole plan (ms), per plan. */
  ms: number[];
  /** Speedup of the second plan over the first (baseline / plan) from interleaved pairs, with its 95% interval. */
  speedup: { speedup: number; ciLow: number; ciHigh: number; pairs: number };
  /** Per plan, the last process's per-step median times (ns). */
  stepNs: number[][];
  /** Executions per process (at least the `reps` asked for; more for a short plan). */
  reps: number;
}

/**
 * A plan whose GPU is kloop's CPU emulation of CUDA is never timed: the emulation runs every CUDA
 * thread as an OS thread, so its times say nothing about a GPU (and no plan is kept from them).
 */
export function refuseEmulatedTiming(executor: PlanExecutor, plans: { bound: BoundPlan }[]): void {
  const gpu = plans.flatMap((p) => p.bound.devices).find((d) => d.kind === 'cuda');
  if (gpu && executor.emulatesGpu) throw new Error(`refusing to time a plan whose GPU device ${gpu.name} is emulated on the CPU: emulated times say nothing about a GPU`);
}

/**
 * Two plans timed against each other, interleaved: processes A B A B …, each running its plan
 * `reps` times (more for a short plan: ~50 ms a process) after a warm-up (its median is one
 * sample); the speedup's interval is over the pairs.
 * Every process's outputs are compared with the graph oracle: a timed run that computes something
 * else is an error, not a figure.
 */
export async function timePlans(
  o: { executor: PlanExecutor; dir: string; input: string; oracleOut: string; pairs: number; reps: number; /** Each process runs its plan for about this long (default 50 ms). */ targetMs?: number },
  plans: { bound: BoundPlan; binary: string }[],
): Promise<PlanTiming> {
  refuseEmulatedTiming(o.executor, plans);
  const samples: number[][] = plans.map(() => []);
  const stepNs: number[][] = plans.map(() => []);
  const oracle = readFileSync(o.oracleOut);
  // A process runs its plan for at least ~50 ms (short plans are timed over more executions), found by one uncounted run.
  const probe = await o.executor.run(plans[0].binary, ['time', o.input, '-', '3'], o.dir);
  const probeMs = median(numbersAfter('KLOOP_PLAN_NS', probe.stdout)) / 1e6;
  const reps = Number.isFinite(probeMs) && probeMs > 0 ? Math.min(1000, Math.max(o.reps, Math.ceil((o.targetMs ?? 50) / probeMs))) : o.reps;
  for (let p = 0; p < o.pairs; p++)
    for (let k = 0; k < plans.length; k++) {
      const out = join(o.dir, `timed-${k}.out`);
      const r = await o.executor.run(plans[k].binary, ['time', o.input, out, String(reps)], o.dir);
      if (r.exitCode !== 0 || r.timedOut) throw new Error(`a timed run of plan ${k} failed (${describeExit(r)}): ${r.stderr.slice(0, 300)}`);
      const cmp = compareOutputs(plans[k].bound, readFileSync(out), oracle);
      if (!cmp.ok) throw new Error(`a timed run of plan ${k} computed something else: ${cmp.line}`);
      const ns = numbersAfter('KLOOP_PLAN_NS', r.stdout);
      samples[k].push(median(ns) / 1e6);
      stepNs[k] = numbersAfter('KLOOP_STEP_NS', r.stdout);
    }
  return { ms: samples.map(median), speedup: speedupCI(samples[0], samples[samples.length - 1]), stepNs, reps };
}

/**
 * Each node's time on a whole device, measured: the single-device plan (every node whole, in
 * order) run at least `reps` times (~100 ms in all) after a warm-up; each step's median, per
 * node (ns). GP1's `measured` figures.
 */
export async function measureNodes(
  o: { executor: PlanExecutor; dir: string; input: string; reps: number; /** About this long in all (default 100 ms). */ targetMs?: number },
  single: { bound: BoundPlan; binary: string },
): Promise<Map<string, number>> {
  refuseEmulatedTiming(o.executor, [single]);
  const probe = await o.executor.run(single.binary, ['time', o.input, '-', '3'], o.dir);
  const probeMs = median(numbersAfter('KLOOP_PLAN_NS', probe.stdout)) / 1e6;
  const reps = Number.isFinite(probeMs) && probeMs > 0 ? Math.min(1000, Math.max(o.reps, Math.ceil((o.targetMs ?? 100) / probeMs))) : o.reps;
  const r = await o.executor.run(single.binary, ['time', o.input, '-', String(reps)], o.dir);
  if (r.exitCode !== 0 || r.timedOut) throw new Error(`the single-device plan failed (${describeExit(r)}): ${r.stderr.slice(0, 300)}`);
  const ns = numbersAfter('KLOOP_STEP_NS', r.stdout);
  const out = new Map<string, number>();
  single.bound.steps.forEach((s, i) => s.op === 'run' && out.set(s.node!.name, ns[i]));
  return out;
}

/**
 * Each node's time on every device size GP1 weighs: the workload run node by node on the whole CPU
 * and on the first core group of each set (alone), measured with measureNodes. Keyed by thread
 * count (the whole CPU's units for the whole CPU).
 */
export async function measureDeviceSizes(o: {
  executor: PlanExecutor;
  kernels: Map<string, NodeKernel>;
  workload: Workload;
  descriptor: AcpDescriptor;
  dir: string;
  input: string;
  reps: number;
  targetMs?: number;
  cores?: number[];
}): Promise<Map<number, Map<string, number>>> {
  const out = new Map<number, Map<string, number>>();
  for (const set of cpuDeviceSets(o.descriptor, o.cores)) {
    const device = set.devices[0];
    const threads = device.cores?.length ?? o.descriptor.units.count;
    if (out.has(threads)) continue;
    const bound = bindPlan(
      buildPlan(
        o.workload,
        [device],
        0,
        o.workload.nodes.map((n) => [{ device: 0, rows: [0, n.rows ? n.rows.extent : 1] as [number, number] }]),
      ),
      o.workload,
      `${set.name} alone`,
    );
    const v = checkPlan(bound);
    if (!v.ok) throw new Error(`single-device plan refused: ${v.reason}`);
    const built = await o.executor.build(bound, o.kernels, v.order, join(o.dir, `size-${threads}`));
    if (!built.ok) throw new Error(`the single-device plan does not build:\n${built.log}`);
    out.set(threads, await measureNodes({ executor: o.executor, dir: o.dir, input: o.input, reps: o.reps, targetMs: o.targetMs }, { bound, binary: built.binary }));
  }
  return out;
}

/**
 * Each node with a CUDA kernel measured on this machine's GPU (launch and synchronize included):
 * the workload with those nodes whole on the GPU and the others on the CPU, run with measureNodes;
 * the GPU's run steps' medians, per node (ns). GP1's `measured` figures for the GPU. Refused under
 * the emulation, like any timing.
 */
export async function measureGpuNodes(o: { executor: PlanExecutor; kernels: Map<string, NodeKernel>; workload: Workload; cpu: CepDevice; gpu: CepDevice; dir: string; input: string; reps: number }): Promise<Map<string, number>> {
  const w = o.workload;
  const assignment = w.nodes.map((n) => [{ device: o.kernels.get(n.target.name)?.gpu ? 1 : 0, rows: [0, n.rows ? n.rows.extent : 1] as [number, number] }]);
  const bound = bindPlan(buildPlan(w, [o.cpu, o.gpu], 0, assignment), w, 'nodes on the GPU');
  const v = checkPlan(bound);
  if (!v.ok) throw new Error(`the GPU measurement plan refused: ${v.reason}`);
  refuseEmulatedTiming(o.executor, [{ bound }]);
  const built = await o.executor.build(bound, o.kernels, v.order, join(o.dir, 'gpu-nodes'));
  if (!built.ok) throw new Error(`the GPU measurement plan does not build:\n${built.log}`);
  const all = await measureNodes({ executor: o.executor, dir: o.dir, input: o.input, reps: o.reps }, { bound, binary: built.binary });
  const onGpu = new Set(bound.steps.filter((s) => s.op === 'run' && s.device === 1).map((s) => s.node!.name));
  return new Map([...all].filter(([n]) => onGpu.has(n)));
}
