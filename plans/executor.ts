import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shortHash } from '../common/index.js';
import { cudaPrelude, prelude, type Compiler } from '../devices/index.js';
import { describeExit, type Limits, type RunResult, type Sandbox } from '../sandboxes/index.js';
import type { Target } from '../targets/index.js';
import { trackedHeader } from '../verifiers/tracked-header.js';
import type { Workload } from '../workloads/index.js';
import type { BoundPlan } from './bind.js';
import type { NodeKernel } from './cost.js';
import { generateDriver } from './driver.js';
import { cudaCompileCommand, cudaLinkCommand, emulationInclude, GPU_GLUE_SOURCE, gpuBuildKey, gpuRunSettings, type PlanGpu } from './gpu-build.js';
import { generateOracle } from './oracle.js';

export interface PlanExecutorOptions {
  sandbox: Sandbox;
  compiler: Compiler;
  /** Shared build products (kernel objects, oracles), keyed by content hash. */
  cacheDir: string;
  /** OpenMP threads of a whole-CPU device. */
  threads: number;
  timeoutMs?: number;
  /** This machine's GPU (nvcc), or the CPU emulation of CUDA: absent, a plan with a `cuda` device does not build. */
  gpu?: PlanGpu;
}

export type Built = { ok: true; binary: string } | { ok: false; log: string };

const BUILD_LIMITS: Limits = { timeoutMs: 120_000, cpuSeconds: 120, fileSizeMb: 256, openFiles: 256, outputBytes: 64 * 1024 };

/**
 * Builds and runs plans on this machine's devices, sandboxed like candidates: each node's kernel
 * compiled once per (source, flags) as its own object, the plan's generated driver linked with
 * them; the graph oracle built from the references as C++ over the oracle's scalar.
 */
export class PlanExecutor {
  private readonly emuInclude?: string;

  constructor(private readonly o: PlanExecutorOptions) {
    mkdirSync(o.cacheDir, { recursive: true });
    if (o.gpu?.emulated) this.emuInclude = emulationInclude(o.cacheDir);
  }

  /** The plan's GPU is kloop's CPU emulation of CUDA: its executions check logic, and are never timed. */
  get emulatesGpu(): boolean {
    return this.o.gpu?.emulated === true;
  }

  get gpu(): PlanGpu | undefined {
    return this.o.gpu;
  }

  /** Distinct targets of a workload, in node order: kernel i is `kl_k<i>` (`kl_r<i>` in the oracle). */
  static kernelIndex(w: Workload): (dir: string) => number {
    const dirs = [...new Set(w.nodes.map((n) => n.target.dir))];
    return (dir) => dirs.indexOf(dir);
  }

  private async compile(cxx: boolean | string, args: string[], cwd: string): Promise<{ ok: boolean; log: string }> {
    const cmd = typeof cxx === 'string' ? cxx : cxx ? this.o.compiler.cxx : this.o.compiler.cc;
    const r = await this.o.sandbox.run({ cmd, args, cwd, env: {}, limits: BUILD_LIMITS, readOnly: [this.o.cacheDir] });
    const ok = r.exitCode === 0 && !r.timedOut;
    return { ok, log: `$ ${cmd} ${args.join(' ')}\n${r.stdout}${r.stderr}${ok ? '' : `\n[${describeExit(r)}]`}` };
  }

  /** A build product cached under its content hash (written by `make` in a fresh folder, then moved into place). */
  private async cached(name: string, key: string, make: (dir: string, out: string) => Promise<{ ok: boolean; log: string }>): Promise<Built> {
    const dir = join(this.o.cacheDir, key);
    const final = join(dir, name);
    if (existsSync(final)) return { ok: true, binary: final };
    const work = `${dir}.${process.pid}.${Date.now()}`;
    mkdirSync(work, { recursive: true });
    const r = await make(work, join(work, name));
    if (!r.ok) {
      rmSync(work, { recursive: true, force: true });
      return { ok: false, log: r.log };
    }
    try {
      renameSync(work, dir);
    } catch {
      /* another process made it first */
    }
    return existsSync(final) ? { ok: true, binary: final } : { ok: true, binary: join(work, name) };
  }

  /** A node kernel compiled as its own object, its function renamed `kl_k<i>` (cached by content). */
  kernelObject(t: Target, k: Pick<NodeKernel, 'source' | 'flags'>, i: number): Promise<Built> {
    const flags = ['-O3', '-march=native', '-std=gnu11', ...k.flags];
    return this.cached('kernel.o', `plank-${shortHash(t.fn, t.real, k.source, flags.join(' '), String(i), this.o.compiler.version)}`, async (dir, out) => {
      writeFileSync(join(dir, 'kloop_prelude.h'), prelude(t));
      writeFileSync(join(dir, 'kernel.c'), k.source);
      return this.compile(false, [...flags, '-include', 'kloop_prelude.h', `-D${t.fn}=kl_k${i}`, '-c', 'kernel.c', '-o', out], dir);
    });
  }

  /** A node's CUDA kernel (its host function renamed `kl_c<i>`) compiled as its own object for the plan's GPU (cached by content). */
  gpuObject(t: Target, k: Pick<NodeKernel, 'source' | 'flags'>, i: number, g: PlanGpu): Promise<Built> {
    return this.cached('gpu-kernel.o', `plangk-${shortHash(t.fn, t.real, k.source, k.flags.join(' '), String(i), gpuBuildKey(g), this.o.compiler.version)}`, async (dir, out) => {
      writeFileSync(join(dir, 'kloop_prelude.cuh'), cudaPrelude(t));
      writeFileSync(join(dir, 'kernel.cu'), k.source);
      const c = cudaCompileCommand(g, { dir, src: 'kernel.cu', out, flags: k.flags, include: 'kloop_prelude.cuh', emuInclude: this.emuInclude, defines: [`${t.fn}=kl_c${i}`] });
      return this.compile(c.cmd, c.args, dir);
    });
  }

  /** The plan program's GPU glue (allocation, copies, synchronisation), cached. */
  private gpuGlue(g: PlanGpu): Promise<Built> {
    return this.cached('glue.o', `plang-${shortHash(GPU_GLUE_SOURCE, gpuBuildKey(g), this.o.compiler.version)}`, async (dir, out) => {
      writeFileSync(join(dir, 'glue.cu'), GPU_GLUE_SOURCE);
      const c = cudaCompileCommand(g, { dir, src: 'glue.cu', out, flags: [], emuInclude: this.emuInclude });
      return this.compile(c.cmd, c.args, dir);
    });
  }

  /** A CUDA program of its own (a measurement), built for the plan's GPU in `dir`. */
  async gpuProgram(source: string, dir: string): Promise<Built> {
    const g = this.o.gpu;
    if (!g) return { ok: false, log: 'no GPU and nvcc to build for' };
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'prog.cu'), source);
    const c = cudaCompileCommand(g, { dir, src: 'prog.cu', out: 'prog.o', flags: [], emuInclude: this.emuInclude });
    const built = await this.compile(c.cmd, c.args, dir);
    if (!built.ok) return { ok: false, log: built.log };
    const l = cudaLinkCommand(g, ['prog.o'], 'prog.bin');
    const linked = await this.compile(l.cmd, l.args, dir);
    return linked.ok ? { ok: true, binary: join(dir, 'prog.bin') } : { ok: false, log: linked.log };
  }

  /** A program of its own linked with kernel objects (a fleet worker's plan job: fleet/plan-program.ts), cached by content. */
  linkProgram(source: string, objects: string[]): Promise<Built> {
    return this.cached('job.bin', `planj-${shortHash(source, ...objects, this.o.compiler.version)}`, async (dir, out) => {
      writeFileSync(join(dir, 'job.c'), source);
      return this.compile(false, ['-O2', '-std=gnu11', '-fopenmp', '-pthread', 'job.c', ...objects, '-o', out, '-lm'], dir);
    });
  }

  /** The plan's program: its driver and every node's kernel (memory's best for the device class, else the reference). */
  async build(b: BoundPlan, kernels: Map<string, NodeKernel>, order: number[], dir: string): Promise<Built> {
    mkdirSync(dir, { recursive: true });
    const index = PlanExecutor.kernelIndex(b.workload);
    const objects: string[] = [];
    const seen = new Set<number>();
    for (const n of b.workload.nodes) {
      const i = index(n.target.dir);
      if (seen.has(i)) continue;
      seen.add(i);
      const o = await this.kernelObject(n.target, kernels.get(n.target.name)!, i);
      if (!o.ok) return o;
      objects.push(o.binary);
    }
    const onGpu = b.steps.filter((s) => s.op === 'run' && b.devices[s.device].kind === 'cuda');
    if (onGpu.length || b.devices.some((d) => d.kind === 'cuda')) {
      const g = this.o.gpu;
      if (!g) return { ok: false, log: `the plan has a GPU device (${b.devices.find((d) => d.kind === 'cuda')!.name}) but kloop found no GPU and nvcc to build it for` };
      const seenGpu = new Set<number>();
      for (const s of onGpu) {
        const t = s.node!.target;
        const i = index(t.dir);
        if (seenGpu.has(i)) continue;
        seenGpu.add(i);
        const k = kernels.get(t.name)?.gpu;
        if (!k) return { ok: false, log: `node ${s.node!.name} runs on GPU device ${b.devices[s.device].name}, but target ${t.name} has no CUDA kernel (no reference.cu, and none in memory for this GPU)` };
        const o = await this.gpuObject(t, k, i, g);
        if (!o.ok) return o;
        objects.push(o.binary);
      }
      const glue = await this.gpuGlue(g);
      if (!glue.ok) return glue;
      objects.push(glue.binary);
      writeFileSync(join(dir, 'plan.c'), generateDriver(b, index, order));
      const c = await this.compile(false, ['-O2', '-std=gnu11', '-fopenmp', '-pthread', '-c', 'plan.c', '-o', 'plan.o'], dir);
      if (!c.ok) return { ok: false, log: c.log };
      const l = cudaLinkCommand(g, ['plan.o', ...objects], 'plan.bin');
      const r = await this.compile(l.cmd, l.args, dir);
      return r.ok ? { ok: true, binary: join(dir, 'plan.bin') } : { ok: false, log: c.log + r.log };
    }
    writeFileSync(join(dir, 'plan.c'), generateDriver(b, index, order));
    const c = await this.compile(false, ['-O2', '-std=gnu11', '-fopenmp', '-pthread', 'plan.c', ...objects, '-o', 'plan.bin', '-lm'], dir);
    return c.ok ? { ok: true, binary: join(dir, 'plan.bin') } : { ok: false, log: c.log };
  }

  /** The graph oracle of a workload (cached by the workload's hash). */
  buildOracle(w: Workload): Promise<Built> {
    const index = PlanExecutor.kernelIndex(w);
    const main = generateOracle(w, index);
    const header = trackedHeader(w.nodes[0].target.real);
    return this.cached('oracle.bin', `plano-${shortHash(w.hash, main, header, this.o.compiler.version)}`, async (dir, out) => {
      writeFileSync(join(dir, 'tracked.hpp'), header);
      writeFileSync(join(dir, 'oracle.cpp'), main);
      const refs: string[] = [];
      const seen = new Set<number>();
      for (const n of w.nodes) {
        const i = index(n.target.dir);
        if (seen.has(i)) continue;
        seen.add(i);
        writeFileSync(join(dir, `ref${i}.cpp`), n.target.referenceSource);
        const c = await this.compile(true, ['-O2', '-std=gnu++17', '-include', 'tracked.hpp', `-D${n.target.fn}=kl_r${i}`, '-c', `ref${i}.cpp`, '-o', `ref${i}.o`], dir);
        if (!c.ok) return c;
        refs.push(`ref${i}.o`);
      }
      return this.compile(true, ['-O2', '-std=gnu++17', '-include', 'tracked.hpp', 'oracle.cpp', ...refs, '-o', out, '-lm'], dir);
    });
  }

  /** Run a built program in the sandbox (its folder the only one it writes). */
  run(binary: string, args: string[], cwd: string): Promise<RunResult> {
    const timeoutMs = this.o.timeoutMs ?? 120_000;
    const g = gpuRunSettings(this.o.gpu);
    return this.o.sandbox.run({
      cmd: binary,
      args,
      cwd,
      env: { OMP_NUM_THREADS: String(this.o.threads), OMP_WAIT_POLICY: 'PASSIVE', ...g.env },
      limits: {
        timeoutMs,
        cpuSeconds: Math.ceil(timeoutMs / 1000) * this.o.threads + 1,
        ...(g.addressLimit ? { addressSpaceMb: 8192 } : {}),
        fileSizeMb: 1024,
        openFiles: g.addressLimit ? 64 : 256,
        ...(g.processes ? { processes: g.processes } : {}),
      },
      readOnly: [this.o.cacheDir],
      ...(g.devices ? { devices: g.devices } : {}),
    });
  }

  static read(file: string): Buffer {
    return readFileSync(file);
  }
}
