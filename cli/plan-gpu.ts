import { join } from 'node:path';
import { cudaUnsupported } from '../targets/index.js';
import { UserError } from '../common/index.js';
import { detectCompiler, findGpu, type AcpDescriptor } from '../devices/index.js';
import { composeDevice, composeSandbox, runsDirOf } from '../loop/index.js';
import type { MemoryStore } from '../memory/index.js';
import { buildChecked, gpuExecutor, singleDevicePlan, timePlans, verifyPlan, withGpuKernels, type BoundPlan, type NodeKernel, type PlanGpu } from '../plans/index.js';
import type { Workflow } from '../workflow/index.js';

/**
 * The GPU a plan file's `cuda` device needs here, checked before anything runs: one GPU device, a
 * device of this machine (no cores, no fleet worker), every node it runs with a CUDA kernel; then
 * this machine's GPU (cuda.gpu) and nvcc, with the same fingerprint, or kloop's CPU emulation of
 * CUDA with `emulate` (its logic only: never timed). Undefined for a plan without a GPU device.
 * Every refusal is one line naming the file and the device.
 */
export async function planGpu(b: BoundPlan, workflow: Workflow, file: string, emulate: boolean | undefined): Promise<PlanGpu | undefined> {
  const gpus = b.devices.filter((d) => d.kind === 'cuda');
  if (!gpus.length) {
    if (emulate) throw new UserError(`${file}: --emulate-gpu: the plan has no GPU device (kind: cuda)`);
    return undefined;
  }
  if (gpus.length > 1) throw new UserError(`${file}: devices ${gpus.map((d) => d.name).join(', ')}: more than one GPU device; a plan runs on this machine's one GPU (cuda.gpu in WORKFLOW.md)`);
  const g = gpus[0];
  if (g.cores) throw new UserError(`${file}: device ${g.name}: a GPU device has no cores (cores: is for core groups of a CPU)`);
  if (g.worker) throw new UserError(`${file}: device ${g.name}: a GPU on fleet worker ${g.worker} is not supported (fleet workers run CPU devices); run the plan on the GPU's host`);
  b.plan.steps.forEach((s, i) => {
    if (s.op !== 'run' || s.device !== g.name) return;
    const t = b.workload.nodes.find((n) => n.name === s.node)!.target;
    const why = !t.cuda ? 'has no CUDA kernel (no reference.cu)' : cudaUnsupported(t);
    if (why) throw new UserError(`${file}: steps[${i}]: node ${s.node} runs on GPU device ${g.name}, but target ${t.name} ${why}; run it on the CPU`);
  });
  if (emulate) return { emulated: true, cxx: detectCompiler().cxx };
  const { toolkit, listing } = findGpu(file, `plan device ${g.name} is a GPU (cuda)`, workflow.config.cuda.gpu, process.env, 'check its logic on the CPU with --emulate-gpu');
  const { cacheDir } = runsDirOf(workflow, process.cwd());
  const device = composeDevice({ workflow, sandbox: composeSandbox(workflow, cacheDir).sandbox, cacheDir, kind: 'cuda' }).device;
  const fp = await device.fingerprint();
  if (fp.id !== g.acp) throw new UserError(`${file}: device ${g.name} is ${g.acp}, not this machine's GPU ${listing.index} (${fp.id}, ${fp.model}); make the plan here with kloop plan`);
  return { emulated: false, nvcc: toolkit.nvcc, version: toolkit.version, arch: (device as { arch?: string }).arch ?? '', index: listing.index, acp: fp.id };
}

/**
 * `kloop plan --run FILE` for a plan with a GPU device: CEP verification as for any plan (every
 * device's memory, the GPU's copied back, against the graph oracle), then, on a real GPU, timed
 * against the single-device plan (the whole CPU) in interleaved pairs. Under the emulation the plan
 * is verified and not timed, and the line says why.
 */
export async function runGpuPlan(o: {
  bound: BoundPlan;
  gpu: PlanGpu;
  workflow: Workflow;
  memory: MemoryStore;
  cpu: { descriptor: AcpDescriptor; kernels: Map<string, NodeKernel> };
  dir: string;
  pairs: number;
  say: (line: string) => void;
}): Promise<number> {
  const b = o.bound;
  const device = b.devices.find((d) => d.kind === 'cuda')!;
  const kernels = await withGpuKernels(o.memory, b.workload, o.cpu.kernels, device.acp);
  const executor = gpuExecutor(o.workflow, o.cpu.descriptor.units.count, o.gpu);
  const v = await verifyPlan(b, { executor, kernels, dir: join(o.dir, 'verify'), seed: (Date.now() ^ process.pid) >>> 0 });
  if (!v.ok) {
    o.say(`REJECTED (${v.stage}): ${v.reason}`);
    return 1;
  }
  const onGpu = [...new Set(b.steps.filter((s) => s.op === 'run' && s.device === b.devices.indexOf(device)).map((s) => s.node!.target.name))];
  const which = onGpu.map((t) => `${t}: ${kernels.get(t)!.gpu!.origin === 'memory' ? `memory's best CUDA kernel (${kernels.get(t)!.gpu!.verdict})` : 'reference.cu'}`).join(' · ');
  o.say(`verified${o.gpu.emulated ? ` with GPU device ${device.name} emulated on this CPU (kloop's CPU emulation of CUDA)` : ''}: ${v.checked}${which ? `; on ${device.name}: ${which}` : ''}`);
  if (o.gpu.emulated) {
    o.say(`not timed: GPU device ${device.name} is emulated on the CPU, where every CUDA thread is an OS thread and its times say nothing about a GPU; run the plan on a GPU host (kloop plan --run) to measure it`);
    return 0;
  }
  const single = await buildChecked(executor, kernels, singleDevicePlan(b.workload, o.cpu.descriptor), join(o.dir, 'single'));
  const mine = await buildChecked(executor, kernels, b, join(o.dir, 'plan'));
  const t = await timePlans({ executor, dir: o.dir, input: join(o.dir, 'verify', 'inputs.bin'), oracleOut: join(o.dir, 'verify', 'oracle.out'), pairs: o.pairs, reps: 5 }, [single, mine]);
  const s = t.speedup;
  o.say(
    `measured: ${t.ms[1].toFixed(3)} ms (GPU ${device.name}: its kernels, launches, synchronizes and cudaMemcpy copies inside the timed executions); the single-device plan (whole CPU) ${t.ms[0].toFixed(3)} ms; speedup ${s.speedup.toFixed(2)}x [95% CI ${s.ciLow.toFixed(2)}-${s.ciHigh.toFixed(2)}, ${s.pairs} interleaved pairs]${b.plan.predicted ? `; predicted ${b.plan.predicted.ms.toFixed(3)} ms by ${b.plan.predicted.by}` : ''}`,
  );
  return 0;
}
