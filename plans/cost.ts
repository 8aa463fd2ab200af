import type { AcpDescriptor } from '../devices/index.js';
import { evalExpr, type Size, type Target } from '../targets/index.js';
import type { WorkloadNode } from '../workloads/index.js';
import type { CepDevice } from './schema.js';

/** Where a predicted time comes from. */
export type CostSource = 'measured' | 'memory' | 'roofline';

/** The kernel a node runs on a device class: memory's best verified one, else the target's reference. */
export interface NodeKernel {
  source: string;
  flags: string[];
  origin: 'memory' | 'reference';
  verdict: 'reference' | 'tested' | 'proved';
  /** Uses OpenMP: it runs on all of its device's cores; otherwise on one. */
  parallel: boolean;
  /** Median time memory holds for it at the target's bench size on the whole device (ns), if any. */
  benchNs?: number;
  /** The node's CUDA kernel on this machine's GPU (memory's best verified for the GPU's fingerprint, else the target's reference.cu); absent: the target has none, so it never runs on a GPU. */
  gpu?: NodeKernel;
}

export interface CostInputs {
  devices: CepDevice[];
  /** The ACP descriptor of each device's `acp` id. */
  descriptors: Map<string, AcpDescriptor>;
  /** Per target name: the kernel its nodes run. */
  kernels: Map<string, NodeKernel>;
  /** Per node name: its time measured in this command on a whole device of the node's class (ns). */
  measured?: Map<string, number>;
  /**
   * Per thread count (a core group's size; the whole device's units): each node's time measured in
   * this command on a device of that size running alone (ns). Preferred over `measured`: it has the
   * group's own OpenMP team and fork-join costs in it.
   */
  measuredByThreads?: Map<number, Map<string, number>>;
  /** Per fleet worker id: a plan job's round trip measured now with nothing to compute (ms): queueing, a sandboxed process on the worker, Redis. Counted once per run step on that worker. */
  jobMs?: Map<string, number>;
  /** Per node name: its time measured in this command on this machine's GPU, whole, launch and synchronize included (ns). */
  gpuMeasured?: Map<string, number>;
  /** Copies between host memory and the GPU (cudaMemcpy of pageable buffers), measured in this command. */
  gpuLink?: GpuLink;
}

/** Host to GPU and back: each direction's bandwidth and the cost of a small copy, measured (plans/gpu-link.ts: measureGpuLink). */
export interface GpuLink {
  h2d: { gbs: number; latencyMs: number };
  d2h: { gbs: number; latencyMs: number };
}

export interface CostModel {
  /** Predicted ms of rows [r0, r1) of a node on a device, and where the figure comes from. */
  run(node: WorkloadNode, device: number, rows: [number, number]): { ms: number; source: CostSource };
  /** Predicted ms of copying bytes between two devices. */
  copy(bytes: number, from: number, to: number): number;
  /** Where a copy's time between two devices comes from, for copies to or from a GPU (undefined for others). */
  copySource?(from: number, to: number): CostSource | undefined;
}

/** Fixed cost of a step: the wait for its predecessors and the call (a few microseconds). */
const STEP_MS = 0.002;
const COPY_LATENCY_MS = 0.001;
/** A kernel launch and the device-wide synchronize after it, when nothing measured says otherwise (a nominal figure, not a measurement). */
const GPU_LAUNCH_MS = 0.01;

/**
 * GP1's cost model. A node's time on a device: measured in this command where there is a
 * measurement (scaled to the device by the roofline ratio), else memory's measured time of the
 * kernel at the bench size scaled to the node's sizes and device by the same ratio, else a
 * roofline estimate from the device's ACP profile. The roofline time uses the cores the kernel can
 * use (all of the device's for an OpenMP kernel, one otherwise) and, for a core group, its share of
 * the chip's DRAM bandwidth and, for an OpenMP kernel, of its compute (groups of one CPU run side
 * by side and share both: on cores that are SMT siblings one core's peak is near the whole chip's,
 * and two groups halve it). A copy moves bytes at
 * the destination's measured one-core bandwidth of the smallest memory level that holds both
 * copies (a memcpy by one thread), or over a fleet worker's measured link. A fleet worker's node
 * time is the whole CPU's here, scaled by the ratio of the two devices' rooflines (the worker's from
 * the profile it publishes), plus a plan job's round trip measured now (jobMs), once per run step.
 * A GPU (`kind: cuda`) runs only nodes with a CUDA kernel (others cost Infinity, so GP1 never puts
 * them there): measured now on the GPU where there is a measurement, else memory's time of its CUDA
 * kernel scaled by the GPU's roofline, else the roofline of the whole GPU (all SMs, device memory)
 * plus a nominal launch; a copy between host and GPU costs the measured link (gpuLink), else the
 * host side's one-core memcpy bandwidth (a pageable cudaMemcpy stages through host memory; PCIe
 * unmeasured, so an optimistic bound, its source said `roofline`).
 */
export function costModel(c: CostInputs): CostModel {
  const desc = (d: number) => {
    const x = c.descriptors.get(c.devices[d].acp);
    if (!x) throw new Error(`no ACP descriptor for ${c.devices[d].acp}`);
    return x;
  };
  const whole = (d: number) => desc(d).units.count;
  const isGpu = (d: number) => c.devices[d].kind === 'cuda';
  /** Roofline time (ns) of work on the whole GPU: every SM, device memory. */
  const gpuRoof = (d: number, real: Target['real'], flops: number, bytes: number) => {
    const x = desc(d);
    const p = x.peaks[real === 'float' ? 'fp32' : 'fp64'] ?? x.peaks.fp32;
    return Math.max(flops / p.all, bytes / x.memory.levels.at(-1)!.gbs.all);
  };
  const gpuRun = (node: WorkloadNode, d: number, rows: [number, number]): { ms: number; source: CostSource } => {
    const t = node.target;
    const k = c.kernels.get(t.name)?.gpu;
    if (!k) return { ms: Infinity, source: 'roofline' };
    const frac = (rows[1] - rows[0]) / (node.rows ? node.rows.extent : 1);
    const measured = c.gpuMeasured?.get(node.name);
    if (measured !== undefined) return { ms: STEP_MS + (measured * frac) / 1e6, source: 'measured' };
    const here = gpuRoof(d, t.real, node.flops * frac, node.bytes * frac);
    if (k.benchNs !== undefined) return { ms: STEP_MS + GPU_LAUNCH_MS + (k.benchNs * here) / gpuRoof(d, t.real, evalExpr(t.flops, t.benchSize), evalExpr(t.bytes, t.benchSize)) / 1e6, source: 'memory' };
    return { ms: STEP_MS + GPU_LAUNCH_MS + here / 1e6, source: 'roofline' };
  };
  const threads = (d: number) => c.devices[d].cores?.length ?? whole(d);

  /** Roofline time (ns) of work on `t` threads of a device whose share of the chip's DRAM is `share`. */
  const roof = (d: number, real: Target['real'], flops: number, bytes: number, t: number, share: number, parallel: boolean) => {
    const x = desc(d);
    const p = x.peaks[real === 'float' ? 'fp32' : 'fp64'] ?? x.peaks.fp32;
    const dram = x.memory.levels.at(-1)!.gbs;
    // A parallel kernel on a core group gets its share of the chip's compute; a sequential one is
    // seldom at the peak (a naive loop waits on its own dependences) and runs beside the other
    // groups on one core's pipeline.
    const peak = Math.min(p.one * t, parallel ? p.all * share : p.all);
    const bw = Math.min(dram.one * t, dram.all * share);
    return Math.max(flops / peak, bytes / bw);
  };

  return {
    run(node, d, rows) {
      if (isGpu(d)) return gpuRun(node, d, rows);
      const t = node.target;
      const k = c.kernels.get(t.name);
      const parallel = k?.parallel ?? false;
      const frac = (rows[1] - rows[0]) / (node.rows ? node.rows.extent : 1);
      const share = threads(d) / whole(d);
      const here = roof(d, t.real, node.flops * frac, node.bytes * frac, parallel ? threads(d) : 1, share, parallel);
      const onWhole = (flops: number, bytes: number) => roof(d, t.real, flops, bytes, parallel ? whole(d) : 1, 1, parallel);
      // A fleet worker is another machine: its time is this machine's (the whole CPU's: measured,
      // memory's or roofline) scaled by the ratio of the two devices' rooflines for the same work.
      if (c.devices[d].worker) {
        const l = c.devices.findIndex((x) => !x.worker && !x.cores && x.kind !== 'cuda');
        if (l < 0) return { ms: STEP_MS + here / 1e6, source: 'roofline' };
        const there = this.run(node, l, rows);
        const onLocal = roof(l, t.real, node.flops * frac, node.bytes * frac, parallel ? whole(l) : 1, 1, parallel);
        return { ms: STEP_MS + (c.jobMs?.get(c.devices[d].worker) ?? 0) + ((there.ms - STEP_MS) * here) / onLocal, source: there.source };
      }
      const own = c.measuredByThreads?.get(threads(d))?.get(node.name);
      // Measured alone on a device of this size; side by side with the other groups it gets its share of the chip.
      if (own !== undefined) return { ms: STEP_MS + (own * frac * here) / roof(d, t.real, node.flops * frac, node.bytes * frac, parallel ? threads(d) : 1, 1, parallel) / 1e6, source: 'measured' };
      const measured = c.measured?.get(node.name);
      if (measured !== undefined) return { ms: STEP_MS + (measured * here) / onWhole(node.flops, node.bytes) / 1e6, source: 'measured' };
      if (k?.benchNs !== undefined) {
        const bench: Size = t.benchSize;
        return { ms: STEP_MS + (k.benchNs * here) / onWhole(evalExpr(t.flops, bench), evalExpr(t.bytes, bench)) / 1e6, source: 'memory' };
      }
      return { ms: STEP_MS + here / 1e6, source: 'roofline' };
    },
    copy(bytes, from, to) {
      if (isGpu(from) && isGpu(to)) return STEP_MS + GPU_LAUNCH_MS + (2 * bytes) / (desc(to).memory.levels.at(-1)!.gbs.all * 1e6);
      if (isGpu(from) || isGpu(to)) {
        const l = isGpu(to) ? c.gpuLink?.h2d : c.gpuLink?.d2h;
        if (l) return STEP_MS + l.latencyMs + bytes / (l.gbs * 1e6);
        const levels = desc(isGpu(to) ? from : to).memory.levels;
        const level = levels.find((x) => x.bytes >= 2 * bytes) ?? levels.at(-1)!;
        return STEP_MS + GPU_LAUNCH_MS + bytes / (level.gbs.one * 1e6);
      }
      const link = c.devices[from].worker ? desc(from).link : c.devices[to].worker ? desc(to).link : undefined;
      if (link) return link.rttMs / 2 + bytes / (link.gbs * 1e6);
      // One thread copies: the one-core bandwidth of the smallest level that holds source and destination.
      const levels = desc(to).memory.levels;
      const level = levels.find((l) => l.bytes >= 2 * bytes) ?? levels.at(-1)!;
      return STEP_MS + COPY_LATENCY_MS + bytes / (level.gbs.one * 1e6);
    },
    copySource(from, to) {
      if (!isGpu(from) && !isGpu(to)) return undefined;
      return isGpu(from) && isGpu(to) ? 'roofline' : c.gpuLink ? 'measured' : 'roofline';
    },
  };
}
