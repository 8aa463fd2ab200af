import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { AcpDescriptor } from '../devices/index.js';
import type { MemoryStore } from '../memory/index.js';
import { cudaUnsupported, memoryKeyOf } from '../targets/index.js';
import type { Workload } from '../workloads/index.js';
import { referenceKey } from '../loop/index.js';
import type { NodeKernel } from './cost.js';
import type { CepDevice } from './schema.js';

/** The logical CPUs this process may run on (its affinity mask), lowest first. */
export function allowedCores(): number[] {
  try {
    const list = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (list) {
      const cores = list.split(',').flatMap((r) => {
        const [a, b] = r.split('-').map(Number);
        return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
      });
      if (cores.length) return cores;
    }
  } catch {
    /* not Linux */
  }
  return Array.from({ length: availableParallelism() }, (_, i) => i);
}

/**
 * The device sets GP1 weighs on a machine with one CPU: the CPU whole, and the CPU as 2 (and, with
 * 4 cores or more, 4) core groups of equal size running side by side. Each device names the CPU's
 * ACP descriptor; a core group lists its cores.
 */
export function cpuDeviceSets(d: AcpDescriptor, cores = allowedCores()): { name: string; devices: CepDevice[] }[] {
  const use = cores.slice(0, d.units.count);
  const sets = [{ name: 'whole CPU', devices: [{ name: 'cpu', acp: d.fingerprint.id, kind: d.kind }] }];
  for (const g of [2, 4]) {
    if (use.length < g) break;
    const size = Math.floor(use.length / g);
    sets.push({ name: `${g} core groups`, devices: Array.from({ length: g }, (_, i) => ({ name: `cpu-g${i}`, acp: d.fingerprint.id, kind: d.kind, cores: use.slice(i * size, (i + 1) * size) })) });
  }
  return sets;
}

/**
 * The kernel each of a workload's targets runs on a device class: the best verified kernel memory
 * holds for (target, fingerprint), with its measured time at the bench size; else the target's
 * reference (with memory's measured reference time, if any).
 */
export async function chooseKernels(memory: MemoryStore | undefined, w: Workload, fingerprint: string): Promise<Map<string, NodeKernel>> {
  const out = new Map<string, NodeKernel>();
  for (const n of w.nodes) {
    const t = n.target;
    if (out.has(t.name)) continue;
    const b = await memory?.getBaseline(t.name, fingerprint);
    if (b && b.verdict !== 'reference') {
      out.set(t.name, { source: b.source, flags: b.flags, origin: 'memory', verdict: b.verdict, parallel: b.flags.includes('-fopenmp'), benchNs: b.medianNs });
      continue;
    }
    const ref = await memory?.getReferenceNs(referenceKey(t), fingerprint);
    out.set(t.name, { source: t.referenceSource, flags: [], origin: 'reference', verdict: 'reference', parallel: false, benchNs: ref });
  }
  return out;
}

/**
 * The CUDA kernel each of a workload's targets runs on this machine's GPU, attached to its CPU
 * kernel (`gpu`): the best verified kernel memory holds for (target, the GPU's fingerprint), with
 * its measured time at the bench size; else the target's reference.cu (with memory's measured
 * reference time, if any). A target without a CUDA kernel, or one the CUDA harness does not
 * support, gets none: its nodes never run on the GPU.
 */
export async function withGpuKernels(memory: MemoryStore | undefined, w: Workload, kernels: Map<string, NodeKernel>, gpuFingerprint: string): Promise<Map<string, NodeKernel>> {
  const out = new Map(kernels);
  for (const n of w.nodes) {
    const t = n.target;
    const cpu = out.get(t.name);
    if (!cpu || cpu.gpu || !t.cuda || cudaUnsupported(t)) continue;
    // A node's own target (TARGET@SIZES): the GPU's best kept at those sizes, with its time there;
    // else its best at the bench size, whose time (taken at other sizes) is not used.
    const key = memoryKeyOf(t);
    const atNode = key.size && (await memory?.getBaseline(key.target, gpuFingerprint, key.size));
    const b = atNode || (await memory?.getBaseline(key.target, gpuFingerprint));
    const gpu: NodeKernel =
      b && b.verdict !== 'reference'
        ? { source: b.source, flags: b.flags, origin: 'memory', verdict: b.verdict, parallel: true, benchNs: !key.size || atNode ? b.medianNs : undefined }
        : { source: t.cuda.referenceSource, flags: [], origin: 'reference', verdict: 'reference', parallel: true, benchNs: await memory?.getReferenceNs(referenceKey(t), gpuFingerprint) };
    out.set(t.name, { ...cpu, gpu });
  }
  return out;
}
