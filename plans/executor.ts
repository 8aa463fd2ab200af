import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shortHash } from '../common/index.js';
import { prelude, type Compiler } from '../devices/index.js';
import { describeExit, type Limits, type RunResult, type Sandbox } from '../sandboxes/index.js';
import type { Target } from '../targets/index.js';
import { trackedHeader } from '../verifiers/tracked-header.js';
import type { Workload } from '../workloads/index.js';
import type { BoundPlan } from './bind.js';
import type { NodeKernel } from './cost.js';
import { generateDriver } from './driver.js';
import { generateOracle } from './oracle.js';

export interface PlanExecutorOptions {
  sandbox: Sandbox;
  compiler: Compiler;
  /** Shared build products (kernel objects, oracles), keyed by content hash. */
  cacheDir: string;
  /** OpenMP threads of a whole-CPU device. */
  threads: number;
  timeoutMs?: number;
}

export type Built = { ok: true; binary: string } | { ok: false; log: string };

const BUILD_LIMITS: Limits = { timeoutMs: 120_000, cpuSeconds: 120, fileSizeMb: 256, openFiles: 256, outputBytes: 64 * 1024 };

/**
 * Builds and runs plans on this machine's devices, sandboxed like candidates: each node's kernel
 * compiled once per (source, flags) as its own object, the plan's generated driver linked with
 * them; the graph oracle built from the references as C++ over the oracle's scalar.
 */
export class PlanExecutor {
  constructor(private readonly o: PlanExecutorOptions) {
    mkdirSync(o.cacheDir, { recursive: true });
  }

  /** Distinct targets of a workload, in node order: kernel i is `kl_k<i>` (`kl_r<i>` in the oracle). */
  static kernelIndex(w: Workload): (dir: string) => number {
    const dirs = [...new Set(w.nodes.map((n) => n.target.dir))];
    return (dir) => dirs.indexOf(dir);
  }

  private async compile(cxx: boolean, args: string[], cwd: string): Promise<{ ok: boolean; log: string }> {
    const cmd = cxx ? this.o.compiler.cxx : this.o.compiler.cc;
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
    return this.o.sandbox.run({
      cmd: binary,
      args,
      cwd,
      env: { OMP_NUM_THREADS: String(this.o.threads), OMP_WAIT_POLICY: 'PASSIVE' },
      limits: { timeoutMs, cpuSeconds: Math.ceil(timeoutMs / 1000) * this.o.threads + 1, addressSpaceMb: 8192, fileSizeMb: 1024, openFiles: 64 },
      readOnly: [this.o.cacheDir],
    });
  }

  static read(file: string): Buffer {
    return readFileSync(file);
  }
}
