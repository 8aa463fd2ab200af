import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../common/index.js';
import { CpuDevice, CudaDevice, detectCompiler, findGpu, type Compiler, type Device } from '../devices/index.js';
import { FileStore, type MemoryStore } from '../memory/index.js';
import { LayeredSandbox, layerReport, layersInUse, probeSandbox, requiredLayers, requirementProblem, type LayerReport, type Sandbox, type SandboxProbe } from '../sandboxes/index.js';
import { Verifier } from '../verifiers/index.js';
import type { Workflow } from '../workflow/index.js';

/*
 * The composition root: the one place where kloop's parts are built from a WORKFLOW.md and the
 * command line. `kloop run` (setup.ts), `kloop verify`, `kloop doctor` and `kloop review` all build
 * their sandbox, device, memory and verifier here, so a candidate is contained, compiled, checked
 * and remembered the same way whichever command sees it.
 */

/** The sandbox candidates get under this workflow: the probe, the layers in use (each missing one with why and the fix), and what the workflow requires. */
export interface SandboxPlan {
  probe: SandboxProbe;
  layers: LayerReport[];
  required: string[];
  /** One line when a required layer is missing (the caller refuses to start). */
  refused?: string;
  sandbox: LayeredSandbox;
}

export function composeSandbox(workflow: Workflow, cacheDir: string): SandboxPlan {
  const c = workflow.config;
  const probe = probeSandbox({ uid: c.sandbox.uid_base, cacheDir });
  const layers = layerReport(probe, layersInUse(probe, { upTo: c.sandbox.level }));
  const required = requiredLayers(c.sandbox, probe.root);
  const refused = requirementProblem(layers, required, `${workflow.file}: sandbox.${c.sandbox.require.length ? 'require' : 'min_level'}`);
  const sandbox = new LayeredSandbox({ probe, upTo: c.sandbox.level, uidBase: c.sandbox.uid_base, cacheDir, memoryMb: c.sandbox.memory_mb });
  return { probe, layers, required, refused, sandbox };
}

/** The device kinds a command can ask for: a GPU, the CPU, or CUDA kernels under kloop's CPU emulation (logic only). */
export type DeviceKind = 'cpu' | 'cuda' | 'cuda-emulated';

const EMULATED_GPU = { index: 0, name: 'CPU emulation of CUDA', computeCapability: '0.0', memoryMb: 0, driver: 'none' };

/**
 * The device candidates are built and run on: the CPU, or the GPU the workflow names (`device:
 * cuda`, `cuda.gpu`), with the CPU as its host. A GPU that is not there is one line naming what is.
 */
export function composeDevice(o: { workflow: Workflow; sandbox: Sandbox; cacheDir: string; kind?: DeviceKind; readOnly?: string[]; env?: NodeJS.ProcessEnv; compiler?: Compiler; origin?: string }): {
  device: Device;
  compiler: Compiler;
  nvcc?: string;
} {
  const c = o.workflow.config;
  const kind = o.kind ?? (c.device === 'cuda' ? 'cuda' : 'cpu');
  const compiler = o.compiler ?? detectCompiler();
  const gpu =
    kind === 'cuda'
      ? findGpu(o.origin ?? o.workflow.file, o.origin ? 'asked for a GPU' : 'device is cuda', c.cuda.gpu, o.env ?? process.env, o.origin ? "use --device cuda-emulated to check the kernel's logic on the CPU" : undefined)
      : undefined;
  const cpu = new CpuDevice({ sandbox: o.sandbox, compiler, cacheDir: o.cacheDir, threads: c.sandbox.threads ?? availableParallelism(), memoryMb: c.sandbox.memory_mb, readOnly: o.readOnly });
  if (kind === 'cpu') return { device: cpu, compiler };
  const device = new CudaDevice({
    sandbox: o.sandbox,
    host: cpu,
    cacheDir: o.cacheDir,
    toolkit: gpu?.toolkit ?? { nvcc: 'nvcc', version: 'emulated' },
    gpu: gpu?.listing ?? EMULATED_GPU,
    arch: c.cuda.arch,
    readOnly: o.readOnly,
    emulate: kind === 'cuda-emulated' ? { cxx: compiler.cxx } : undefined,
  });
  return { device, compiler, nvcc: gpu?.toolkit.nvcc };
}

/** The memory a command shares with every other kloop process: `--memory`, else `memory.path` of the workflow. */
export function openMemory(workflow: Workflow, cwd: string, path?: string): MemoryStore {
  return FileStore.open(resolve(cwd, path ?? workflow.config.memory.path));
}

/** The gate, with the workflow's settings (verify: hidden sizes, case timeout, sanitizers, proof). */
export function composeVerifier(workflow: Workflow, device: Device): Verifier {
  const v = workflow.config.verify;
  return new Verifier({ device, hiddenSizes: v.hidden_sizes, caseTimeoutMs: v.case_timeout_s * 1000, sanitizers: v.sanitizers, proof: v.proof, proofBudget: v.proof_budget });
}

/** Where a workflow's runs and shared build products live. */
export function runsDirOf(workflow: Workflow, cwd: string): { runsDir: string; cacheDir: string } {
  const runsDir = resolve(cwd, workflow.config.runs.dir);
  return { runsDir, cacheDir: join(runsDir, '.cache') };
}

/** Refuse to start, in one line, when the workflow requires a sandbox layer this machine does not give. */
export function refuseMissingLayers(plan: SandboxPlan): void {
  if (plan.refused) throw new UserError(plan.refused);
}
