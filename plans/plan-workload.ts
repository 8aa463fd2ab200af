import type { AcpDescriptor } from '../devices/index.js';
import type { Workload } from '../workloads/index.js';
import { costModel, type GpuLink, type NodeKernel } from './cost.js';
import { cpuDeviceSets } from './local.js';
import { gp1, predict, type Candidate } from './partition.js';
import type { CepDevice } from './schema.js';

export interface DeviceSetPlan {
  /** "whole CPU", "2 core groups" … */
  set: string;
  devices: CepDevice[];
  candidate: Candidate;
}

export interface WorkloadPlans {
  /** GP1's choice: the fastest predicted over every device set. */
  best: DeviceSetPlan;
  /** Everything on the single fastest device (predicted), the plan a split must beat. */
  single: DeviceSetPlan;
  /** GP1's plan for each device set it weighed. */
  sets: DeviceSetPlan[];
}

/**
 * GP1 over the device sets this machine offers (its CPU whole, and as core groups): the best plan
 * of each, the single-device plan, and the fastest of all, each with its predicted time and where
 * every node's time came from. On one CPU with parallel kernels splitting rarely pays (the groups
 * share the chip's DRAM bandwidth and every copy costs): GP1 predicts it, and picks the whole CPU.
 */
export function planWorkload(o: {
  workload: Workload;
  descriptor: AcpDescriptor;
  kernels: Map<string, NodeKernel>;
  measured?: Map<string, number>;
  /** Node times measured per device size (measure.ts measureDeviceSizes). */
  measuredByThreads?: Map<number, Map<string, number>>;
  cores?: number[];
  /** A fleet's workers, each a plan device (`worker`) with its ACP descriptor: weighed beside this CPU whole, as one more device set. */
  workers?: { device: CepDevice; descriptor: AcpDescriptor; /** A plan job's round trip to it, measured now (ms). */ jobMs?: number }[];
  /**
   * This machine's GPU, only where one is present (with nvcc): weighed beside the CPU whole, as one
   * more device set. Its node times measured now (`measured`, ns) and its link to host memory
   * measured now (`link`), where they were; otherwise roofline estimates, their source said.
   */
  gpu?: { device: CepDevice; descriptor: AcpDescriptor; measured?: Map<string, number>; link?: GpuLink };
}): WorkloadPlans {
  const w = o.workload;
  const descriptors = new Map([[o.descriptor.fingerprint.id, o.descriptor], ...(o.workers ?? []).map((x) => [x.device.acp, x.descriptor] as const), ...(o.gpu ? [[o.gpu.device.acp, o.gpu.descriptor] as const] : [])]);
  const jobMs = new Map((o.workers ?? []).flatMap((x) => (x.jobMs !== undefined ? [[x.device.worker!, x.jobMs] as const] : [])));
  const local = cpuDeviceSets(o.descriptor, o.cores);
  const fleet = o.workers?.length ? [{ name: `CPU + ${o.workers.length} worker${o.workers.length > 1 ? 's' : ''}`, devices: [...local[0].devices, ...o.workers.map((x) => x.device)] }] : [];
  const gpu = o.gpu ? [{ name: 'CPU + GPU', devices: [...local[0].devices, o.gpu.device] }] : [];
  const sets = [...local, ...fleet, ...gpu].map(({ name, devices }) => {
    const cost = costModel({ devices, descriptors, kernels: o.kernels, measured: o.measured, measuredByThreads: o.measuredByThreads, jobMs, gpuMeasured: o.gpu?.measured, gpuLink: o.gpu?.link });
    return { set: name, devices, candidate: gp1(w, devices, 0, cost) };
  });
  const wholeSet = sets[0];
  const cost = costModel({ devices: wholeSet.devices, descriptors, kernels: o.kernels, measured: o.measured, measuredByThreads: o.measuredByThreads });
  const single = {
    ...wholeSet,
    candidate: predict(
      w,
      wholeSet.devices,
      0,
      w.nodes.map((n) => [{ device: 0, rows: [0, n.rows ? n.rows.extent : 1] as [number, number] }]),
      cost,
    ),
  };
  const best = sets.reduce((a, b) => (b.candidate.sim.ms < a.candidate.sim.ms ? b : a));
  return { best: best.candidate.sim.ms < single.candidate.sim.ms ? best : single, single, sets };
}
