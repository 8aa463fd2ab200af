import type { MemoryStore } from '../memory/index.js';
import { atSizes, sameSize, sizeText, type Target } from '../targets/index.js';
import type { Workload, WorkloadNode } from '../workloads/index.js';
import type { NodeKernel } from './cost.js';

/**
 * Which kernel a node runs, as a plan says (`predicted.kernels`): memory's best kept at exactly the
 * node's sizes (a session of `kloop run --workload` tuned it there, or the node's sizes are the
 * target's bench size), memory's best at the target's bench size used at the node's other sizes
 * (checked at the node's sizes only by the plan's CEP verification against the graph oracle), or
 * the target's reference.
 */
export type KernelBinding = NonNullable<WorkloadNode['kernel']>;

export interface NodeKernels {
  /**
   * The workload as the plan executor sees it: a node whose kernel differs from its target's
   * default (memory's best at the bench size, else the reference) runs a target of its own
   * (`sgemm@M=64,N=512,K=2048`: the kernel's own object in the plan's program); every node says
   * which kernel it runs (`kernel`). Same name, hash, arrays and nodes as the workload: a plan made
   * for one binds to the other.
   */
  workload: Workload;
  /** Per target name as `workload` names them: the kernel its nodes run. */
  kernels: Map<string, NodeKernel>;
}

/**
 * The kernel each node of a workload runs on a device class: memory's best verified kernel kept at
 * exactly the node's sizes when there is one, else the target's default from `base` (chooseKernels:
 * memory's best at the bench size, else the reference). A node-size kernel carries no memory time
 * (`benchNs`): GP1 measures the node, or estimates it from the roofline, rather than scale a time
 * taken at other sizes as if it were the bench size's.
 */
export async function chooseNodeKernels(memory: MemoryStore | undefined, w: Workload, fingerprint: string, base: Map<string, NodeKernel>): Promise<NodeKernels> {
  const kernels = new Map(base);
  const nodes: WorkloadNode[] = [];
  for (const n of w.nodes) {
    const t = n.target;
    const fallback = base.get(t.name);
    if (!fallback) throw new Error(`no kernel chosen for target ${t.name}`); // our own fault if reached
    const atBench = sameSize(t, n.sizes, t.benchSize);
    const kept = atBench ? undefined : await memory?.getBaseline(t.name, fingerprint, n.sizes);
    if (!kept || kept.verdict === 'reference') {
      nodes.push({ ...n, kernel: fallback.origin === 'reference' ? 'reference' : atBench ? 'node-size' : 'bench-size' });
      continue;
    }
    const slot = slotTarget(t, n.sizes);
    if (!kernels.has(slot.name)) kernels.set(slot.name, { ...fallback, source: kept.source, flags: kept.flags, origin: 'memory', verdict: kept.verdict, parallel: kept.flags.includes('-fopenmp'), benchNs: undefined });
    nodes.push({ ...n, target: slot, kernel: 'node-size' });
  }
  return { workload: { ...w, nodes }, kernels };
}

/**
 * A target of its own for the kernel kept at `size`: the target's session at those sizes (atSizes:
 * named `TARGET@SIZES`, its entry in the kernel map, and saying what memory keeps its kernels and
 * reference time under), with a folder key of its own (the plan executor builds one object per
 * target folder). It names no real folder: it is for the plan's program, and nothing reads files
 * through it.
 */
function slotTarget(t: Target, size: Record<string, number>): Target {
  return { ...atSizes(t, size), dir: `${t.dir}@${sizeText(t, size)}` };
}

/** Per node, which kernel it runs, when the workload is a kernel view (chooseNodeKernels); undefined otherwise. */
export function kernelBindings(w: Workload): Record<string, KernelBinding> | undefined {
  if (!w.nodes.some((n) => n.kernel)) return undefined;
  return Object.fromEntries(w.nodes.flatMap((n) => (n.kernel ? [[n.name, n.kernel]] : [])));
}

const WORDS: Record<KernelBinding, string> = {
  'node-size': "memory's best at this node's sizes",
  'bench-size': "memory's best at the bench size (checked at this node's sizes by the plan's CEP verification)",
  reference: 'the reference',
};

/** One line per node of a kernel view: the kernel it runs and the sizes it was tuned at (`up (sgemm M=256,N=512,K=256): memory's best at this node's sizes, tested`). */
export function kernelLines(nk: NodeKernels): string[] {
  return nk.workload.nodes.map((n) => {
    const t = n.target;
    const k = nk.kernels.get(t.name);
    const how = n.kernel ? WORDS[n.kernel] : k?.origin === 'memory' ? "memory's best" : 'the reference';
    const tuned = n.kernel === 'bench-size' ? ` (tuned at ${sizeText(t, t.benchSize)})` : '';
    // A target's own name has no "@" (targets/schema.ts); a kernel's own target is TARGET@SIZES.
    return `${n.name} (${t.name.split('@')[0]} ${sizeText(t, n.sizes)}): ${how}${tuned}${k?.origin === 'memory' ? `, ${k.verdict}${k.flags.length ? `, ${k.flags.join(' ')}` : ''}` : ''}`;
  });
}
