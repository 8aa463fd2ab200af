import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../../common/index.js';

/** The CUDA compiler and the tools around it. */
export interface CudaToolkit {
  nvcc: string;
  /** "13.0" from "Cuda compilation tools, release 13.0, V13.0.88". */
  version: string;
  /** compute-sanitizer, where installed (it ships with the toolkit on GPU hosts). */
  sanitizer?: string;
}

export interface GpuListing {
  index: number;
  name: string;
  /** "9.0" */
  computeCapability: string;
  memoryMb: number;
  driver: string;
}

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 });
  } catch {
    return undefined;
  }
}

function which(name: string, env: NodeJS.ProcessEnv, extra: string[]): string | undefined {
  for (const d of [...(env.PATH ?? '').split(':'), ...extra]) if (d && existsSync(join(d, name))) return join(d, name);
  return undefined;
}

const CUDA_BINS = (env: NodeJS.ProcessEnv) => [env.CUDA_HOME && join(env.CUDA_HOME, 'bin'), '/usr/local/cuda/bin'].filter((d): d is string => !!d);

/** Find nvcc ($NVCC, PATH, $CUDA_HOME/bin, /usr/local/cuda/bin); a missing one is one clear line. */
export function detectCudaToolkit(env: NodeJS.ProcessEnv = process.env): CudaToolkit {
  const nvcc = env.NVCC || which('nvcc', env, CUDA_BINS(env));
  const out = nvcc && run(nvcc, ['--version']);
  if (!nvcc || !out) throw new UserError('no CUDA compiler: nvcc was not found on PATH, in $CUDA_HOME/bin or /usr/local/cuda/bin; install the CUDA toolkit or set NVCC');
  const version = /release (\d+\.\d+)/.exec(out)?.[1] ?? out.trim().split('\n').pop()!;
  const sanitizer = which('compute-sanitizer', env, [dirname(nvcc), ...CUDA_BINS(env), '/usr/local/cuda/compute-sanitizer']);
  return { nvcc, version, sanitizer };
}

/** Device nodes a CUDA process opens (bound into the sandbox's namespace). */
export function gpuDeviceNodes(): string[] {
  try {
    return readdirSync('/dev')
      .filter((n) => /^nvidia/.test(n))
      .map((n) => join('/dev', n));
  } catch {
    return [];
  }
}

/**
 * The NVIDIA GPUs on this machine, from nvidia-smi. `why` says what was looked at when none is
 * found, so that a run can name the problem in one line.
 */
export function listGpus(env: NodeJS.ProcessEnv = process.env): { gpus: GpuListing[]; why: string } {
  const smi = which('nvidia-smi', env, ['/usr/bin', '/usr/local/nvidia/bin']);
  const nodes = gpuDeviceNodes().filter((d) => /\/nvidia\d+$/.test(d));
  if (!smi) return { gpus: [], why: nodes.length ? `nvidia-smi is not installed (device nodes: ${nodes.join(', ')})` : 'no NVIDIA driver: nvidia-smi not found and no /dev/nvidia0' };
  const out = run(smi, ['--query-gpu=index,name,compute_cap,memory.total,driver_version', '--format=csv,noheader,nounits']);
  if (out === undefined) return { gpus: [], why: 'nvidia-smi failed (is the NVIDIA driver loaded?)' };
  const gpus = out
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.split(',').map((x) => x.trim()))
    .map(([index, name, cc, mem, driver]) => ({ index: Number(index), name, computeCapability: cc, memoryMb: Number(mem), driver }));
  return { gpus, why: gpus.length ? '' : 'nvidia-smi lists no GPU' };
}

/** nvcc's -arch for a compute capability: "9.0" -> "sm_90". */
export function smArch(computeCapability: string): string {
  return `sm_${computeCapability.replace('.', '')}`;
}

/** The GPU a CUDA run uses, with the toolkit, or one line (naming `where` and `why`) saying what is missing. */
export function findGpu(where: string, why: string, index: number, env: NodeJS.ProcessEnv = process.env, instead = 'set device: cpu'): { toolkit: CudaToolkit; listing: GpuListing } {
  const { gpus, why: none } = listGpus(env);
  if (!gpus.length) throw new UserError(`${where}: ${why} but this machine has no usable NVIDIA GPU (${none}); run on a GPU host, or ${instead}`);
  const listing = gpus.find((g) => g.index === index);
  if (!listing) throw new UserError(`${where}: cuda.gpu is ${index} but this machine has GPU(s) ${gpus.map((g) => `${g.index} (${g.name})`).join(', ')}; choose one of them`);
  return { toolkit: detectCudaToolkit(env), listing };
}
