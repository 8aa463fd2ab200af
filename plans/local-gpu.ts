import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { detectCompiler, findGpu, type AcpDescriptor } from '../devices/index.js';
import { composeDevice, composeSandbox, localDevices, refuseMissingLayers, runsDirOf } from '../loop/index.js';
import type { MemoryStore } from '../memory/index.js';
import type { Workflow } from '../workflow/index.js';
import type { Workload } from '../workloads/index.js';
import type { GpuLink, NodeKernel } from './cost.js';
import { PlanExecutor } from './executor.js';
import type { PlanGpu } from './gpu-build.js';
import { measureGpuLink } from './gpu-link.js';
import { writeWorkloadInputs } from './inputs.js';
import { withGpuKernels } from './local.js';
import { measureGpuNodes } from './measure.js';
import type { CepDevice } from './schema.js';

/** This machine's GPU as a plan device: its ACP descriptor and what builds for it. */
export interface LocalGpu {
  device: CepDevice;
  descriptor: AcpDescriptor;
  gpu: PlanGpu;
}

/**
 * This machine's GPU as a plan device for GP1, where one and nvcc are found (the workflow's
 * `cuda.gpu`, as `kloop devices` lists it; its HP1 profile measured first if memory has none, said
 * through `note`); undefined otherwise, silently.
 */
export async function localGpuDevice(workflow: Workflow, memory: MemoryStore, note: (line: string) => void = () => {}): Promise<LocalGpu | undefined> {
  const { cacheDir } = runsDirOf(workflow, process.cwd());
  const list = async () => (await localDevices({ workflow, cwd: process.cwd(), cacheDir, memory })).slice(1);
  let listed = (await list())[0];
  if (!listed) return undefined; // no GPU, or no nvcc: GP1 weighs the CPU only
  const sandbox = composeSandbox(workflow, cacheDir).sandbox;
  const cuda = composeDevice({ workflow, sandbox, cacheDir, kind: 'cuda' });
  if (!('descriptor' in listed)) {
    note(`measuring this GPU's profile first (HP1): ${listed.why}`);
    await memory.putProfile(await cuda.device.measureProfile(join(cacheDir, 'plan-gpu-profile')));
    listed = (await list())[0];
    if (!listed || !('descriptor' in listed)) return undefined;
  }
  const d = listed.descriptor;
  const { toolkit, listing } = findGpu(workflow.file, 'GP1 weighs the GPU', workflow.config.cuda.gpu);
  return {
    device: { name: 'gpu', acp: d.fingerprint.id, kind: 'cuda' },
    descriptor: d,
    gpu: { emulated: false, nvcc: toolkit.nvcc, version: toolkit.version, arch: (cuda.device as { arch?: string }).arch ?? '', index: listing.index, acp: d.fingerprint.id },
  };
}

/** An executor like the CPU's (the candidates' sandbox, the same build cache), with the plan's GPU. */
export function gpuExecutor(workflow: Workflow, threads: number, gpu: PlanGpu): PlanExecutor {
  const { cacheDir } = runsDirOf(workflow, process.cwd());
  const plan = composeSandbox(workflow, cacheDir);
  refuseMissingLayers(plan);
  return new PlanExecutor({ sandbox: plan.sandbox, compiler: detectCompiler(), cacheDir: join(cacheDir, 'plans'), threads, gpu });
}

/**
 * A GPU as GP1 weighs it (planWorkload's `gpu`), with the kernels each target runs there
 * (`kernels`: the CPU's, each with its CUDA kernel attached) and what builds for it (`gpu`); its
 * node times (`measured`, ns) and its link to host memory (`link`) where they were measured now.
 */
export type WeighedGpu = LocalGpu & { kernels: Map<string, NodeKernel>; measured?: Map<string, number>; link?: GpuLink };

/**
 * This machine's GPU for GP1 (none: undefined), with its CUDA kernels (withGpuKernels over the
 * CPU's); with `measure`, its node times (the nodes with a CUDA kernel run on it in the plan's own
 * program) and its copies to and from host memory measured now, in `dir`. `kloop plan WORKLOAD`,
 * the plan rounds of `kloop run --workload` and bench:plans all weigh it so.
 */
export async function weighedGpu(o: {
  workflow: Workflow;
  memory: MemoryStore;
  workload: Workload;
  cpu: { descriptor: AcpDescriptor; kernels: Map<string, NodeKernel> };
  measure?: { dir: string };
  note?: (line: string) => void;
}): Promise<WeighedGpu | undefined> {
  const g = await localGpuDevice(o.workflow, o.memory, o.note);
  if (!g) return undefined;
  const kernels = await withGpuKernels(o.memory, o.workload, o.cpu.kernels, g.device.acp);
  if (!o.measure) return { ...g, kernels };
  const executor = gpuExecutor(o.workflow, o.cpu.descriptor.units.count, g.gpu);
  const dir = o.measure.dir;
  mkdirSync(dir, { recursive: true });
  const input = join(dir, 'gpu-inputs.bin');
  writeWorkloadInputs(o.workload, 1, input);
  const cpu = { name: 'cpu', acp: o.cpu.descriptor.fingerprint.id, kind: o.cpu.descriptor.kind };
  const measured = await measureGpuNodes({ executor, kernels, workload: o.workload, cpu, gpu: g.device, dir, input, reps: 5 });
  return { ...g, kernels, measured, link: await measureGpuLink(executor, dir) };
}
