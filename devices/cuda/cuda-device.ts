import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shortHash } from '../../common/index.js';
import type { Limits, RunResult, Sandbox } from '../../sandboxes/index.js';
import { describeExit } from '../../sandboxes/index.js';
import type { Target } from '../../targets/index.js';
import type { BuildResult, CheckRequest, Device, DeviceProfile, Fingerprint, TimedRun, TimeRequest } from '../device.js';
import { BuildCache } from '../build-cache.js';
import { harnessArgs, harnessSeed, numbersAfter } from '../harness-protocol.js';
import { EMULATED_CUDA_RUNTIME, rewriteLaunches } from './emulation.js';
import { cudaFlagsAllowed } from './flags.js';
import { cudaPrelude, generateCudaHarness } from './harness.js';
import { CUDA_PEAK_SOURCE } from './peak-source.js';
import { monotonic } from '../memory-levels.js';
import { gpuDeviceNodes, smArch, type CudaToolkit, type GpuListing } from './toolkit.js';

const BUILD_LIMITS: Limits = { timeoutMs: 300_000, cpuSeconds: 300, fileSizeMb: 512, openFiles: 256, outputBytes: 64 * 1024 };
/** compute-sanitizer's tools, in the order they run on every check size. */
export const CUDA_SANITIZER_TOOLS = ['memcheck', 'racecheck', 'initcheck'] as const;
const SANITIZER_EXIT = 23;

export interface CudaDeviceOptions {
  sandbox: Sandbox;
  toolkit: CudaToolkit;
  gpu: GpuListing;
  /** The oracle (the C reference in double with error bounds) runs on the CPU. */
  host: Device;
  cacheDir: string;
  /** nvcc -arch; default from the GPU's compute capability. */
  arch?: string;
  readOnly?: string[];
  /**
   * Build with the host C++ compiler against kloop's CPU emulation of CUDA instead of nvcc: for
   * testing harnesses and kernels on machines without a GPU. Its timings say nothing about a GPU.
   */
  emulate?: { cxx: string };
}

/** An NVIDIA GPU: CUDA C++ candidates built with nvcc, run by a generated host harness. */
export class CudaDevice implements Device {
  readonly kind = 'cuda' as const;
  readonly language = 'cuda' as const;
  readonly sanitizerName = `compute-sanitizer (${CUDA_SANITIZER_TOOLS.join(', ')})`;
  readonly proofInapplicable = 'the bounded proof evaluates C kernels over a symbolic type on the CPU; a CUDA kernel is tested only';
  readonly arch: string;

  private readonly emuInclude?: string;
  private readonly cache: BuildCache;

  constructor(private readonly opts: CudaDeviceOptions) {
    this.arch = opts.arch ?? smArch(opts.gpu.computeCapability);
    this.cache = new BuildCache(opts.cacheDir);
    if (opts.emulate) {
      this.emuInclude = join(opts.cacheDir, 'cuda-emulation');
      mkdirSync(this.emuInclude, { recursive: true });
      writeFileSync(join(this.emuInclude, 'cuda_runtime.h'), EMULATED_CUDA_RUNTIME);
    }
  }

  async fingerprint(): Promise<Fingerprint> {
    const { gpu, toolkit } = this.opts;
    const id = `cuda-${shortHash(gpu.name, gpu.computeCapability, String(gpu.memoryMb), gpu.driver, toolkit.version, this.arch).slice(0, 12)}`;
    return { id, kind: 'cuda', model: `${gpu.name} (${this.arch})`, cores: 1, flagsHash: shortHash(this.arch).slice(0, 8), compiler: `nvcc ${toolkit.version}` };
  }

  private readOnly(): string[] {
    return [this.opts.cacheDir, ...(this.opts.readOnly ?? [])];
  }

  private env(): Record<string, string> {
    return { CUDA_VISIBLE_DEVICES: String(this.opts.gpu.index), CUDA_MODULE_LOADING: 'EAGER' };
  }

  private async compile(args: string[], workDir: string): Promise<{ ok: boolean; log: string; ms: number }> {
    const cmd = this.opts.emulate?.cxx ?? this.opts.toolkit.nvcc;
    const r = await this.opts.sandbox.run({ cmd, args, cwd: workDir, env: {}, limits: BUILD_LIMITS, readOnly: this.readOnly() });
    const ok = r.exitCode === 0 && !r.timedOut;
    return { ok, log: `$ ${this.opts.emulate ? cmd : 'nvcc'} ${args.join(' ')}\n${r.stdout}${r.stderr}${ok ? '' : `\n[${describeExit(r)}]`}\n`, ms: r.wallMs };
  }

  /** One translation unit to an object file (nvcc, or the host compiler over the emulation). */
  private compileUnit(dir: string, src: string, out: string, flags: string[], include?: string): Promise<{ ok: boolean; log: string; ms: number }> {
    const inc = include ? ['-include', include] : [];
    if (!this.opts.emulate) return this.compile([...this.base(), ...flags, ...inc, '-c', src, '-o', out], dir);
    const emu = `${src}.emu.cpp`;
    writeFileSync(join(dir, emu), rewriteLaunches(readFileSync(join(dir, src), 'utf8')));
    return this.compile(['-std=c++20', '-O1', '-w', '-pthread', '-I', this.emuInclude!, ...inc, '-c', emu, '-o', out], dir);
  }

  private link(dir: string, objs: string[], out: string): Promise<{ ok: boolean; log: string; ms: number }> {
    return this.compile(this.opts.emulate ? ['-pthread', ...objs, '-o', out] : [`-arch=${this.arch}`, ...objs, '-o', out], dir);
  }

  private base(): string[] {
    return ['-O3', `-arch=${this.arch}`, '-std=c++17'];
  }

  private harnessObject(target: Target): Promise<BuildResult> {
    const src = generateCudaHarness(target);
    return this.cache.get('harness.o', shortHash(src, this.opts.toolkit.version, this.arch, this.opts.emulate ? EMULATED_CUDA_RUNTIME : ''), (out) => {
      writeFileSync(join(out, '..', 'harness.cu'), src);
      return this.compileUnit(join(out, '..'), 'harness.cu', out, []);
    });
  }

  private async buildAs(req: { target: Target; source: string; flags: string[]; workDir: string }, name: string, extra: string[]): Promise<BuildResult> {
    const { target, workDir } = req;
    const bad = req.flags.filter((f) => !cudaFlagsAllowed(target).includes(f));
    if (bad.length) return { ok: false, log: `flags not allowed for this CUDA target: ${bad.join(' ')} (allowed: ${cudaFlagsAllowed(target).join(' ') || 'none'})\n`, ms: 0 };
    mkdirSync(workDir, { recursive: true });
    const harness = await this.harnessObject(target);
    if (!harness.ok) throw new Error(`kloop's CUDA harness failed to build for ${target.name}:\n${harness.log}`);
    writeFileSync(join(workDir, 'kloop_prelude.cuh'), cudaPrelude(target));
    writeFileSync(join(workDir, `${name}.cu`), req.source);
    const c = await this.compileUnit(workDir, `${name}.cu`, `${name}.o`, [...extra, ...req.flags], 'kloop_prelude.cuh');
    if (!c.ok) return { ok: false, log: c.log, ms: c.ms };
    const l = await this.link(workDir, [`${name}.o`, harness.binary!], `${name}.bin`);
    const log = c.log + l.log;
    writeFileSync(join(workDir, `${name}.build.log`), log);
    return { ok: l.ok, binary: l.ok ? join(workDir, `${name}.bin`) : undefined, log, ms: c.ms + l.ms };
  }

  build(req: { target: Target; source: string; flags: string[]; workDir: string }): Promise<BuildResult> {
    return this.buildAs(req, 'kernel', []);
  }

  /** The C reference, on the CPU, in double with error bounds: the same oracle as on the CPU device. */
  buildOracle(req: { target: Target; workDir: string }): Promise<BuildResult> {
    return this.opts.host.buildOracle(req);
  }

  /**
   * The kernel file's own macros expanded by the host preprocessor (its includes, CUDA's headers,
   * left out: nvcc's own preprocessing mixes host and device passes); CUDA's builtins stay names.
   */
  async preprocess(req: { target: Target; source: string; flags: string[]; workDir: string }): Promise<{ ok: boolean; text: string; log: string }> {
    const own = req.source.replace(/^[ \t]*#[ \t]*include\b.*$/gm, '');
    const r = await this.opts.host.preprocess({ target: req.target, source: own, flags: [], workDir: join(req.workDir, 'preprocess') });
    return r.ok ? r : { ok: true, text: req.source, log: `${r.log}\nCUDA: analysed as written` };
  }

  objectSymbols(workDir: string): Promise<{ ok: boolean; text: string }> {
    // The object-file rules read nvcc's host objects; an emulated build's object is something else.
    if (this.opts.emulate) return Promise.resolve({ ok: false, text: '' });
    return this.opts.host.objectSymbols(workDir);
  }

  /** With line information for compute-sanitizer's reports; unavailable where compute-sanitizer is not installed. */
  async buildSanitized(req: { target: Target; source: string; flags: string[]; workDir: string }): Promise<BuildResult> {
    if (!this.opts.toolkit.sanitizer) return { ok: false, log: '', ms: 0, unavailable: 'compute-sanitizer is not installed next to nvcc' };
    return this.buildAs(req, 'kernel-san', ['-lineinfo']);
  }

  async buildProof(): Promise<BuildResult> {
    return { ok: false, log: this.proofInapplicable, ms: 0, unavailable: this.proofInapplicable };
  }

  private limits(timeoutMs: number, fileSizeMb = 1024): Limits {
    // No address-space limit: the CUDA driver maps the GPU's memory into the process.
    return { timeoutMs, cpuSeconds: Math.ceil(timeoutMs / 1000) * 2 + 1, fileSizeMb, openFiles: 256 };
  }

  private runOnGpu(cmd: string, args: string[], workDir: string, limits: Limits): Promise<RunResult> {
    return this.opts.sandbox.run({ cmd, args, cwd: workDir, env: this.env(), limits, readOnly: this.readOnly(), devices: gpuDeviceNodes() });
  }

  /** A sanitized binary runs under each compute-sanitizer tool in turn; the first report decides. */
  async runTool(req: { binary: string; args: string[]; workDir: string; timeoutMs: number; sanitized?: boolean }): Promise<RunResult> {
    const limits = this.limits(req.timeoutMs);
    if (!req.sanitized || !this.opts.toolkit.sanitizer) return this.runOnGpu(req.binary, req.args, req.workDir, limits);
    let last: RunResult | undefined;
    for (const tool of CUDA_SANITIZER_TOOLS) {
      last = await this.runOnGpu(this.opts.toolkit.sanitizer, ['--tool', tool, '--error-exitcode', String(SANITIZER_EXIT), '--print-limit', '20', req.binary, ...req.args], req.workDir, limits);
      if (last.exitCode !== 0 || last.timedOut) return { ...last, stderr: `[compute-sanitizer --tool ${tool}]\n${last.stdout}${last.stderr}` };
    }
    return last!;
  }

  check(req: CheckRequest): Promise<RunResult> {
    const args = harnessArgs(req.target, 'check', req.input, req.output, req.seed ?? harnessSeed(), 0, 1, req.size);
    if (req.sanitized) return this.runTool({ binary: req.binary, args, workDir: req.workDir, timeoutMs: req.timeoutMs, sanitized: true });
    return this.runOnGpu(req.binary, args, req.workDir, this.limits(req.timeoutMs, 256));
  }

  async time(req: TimeRequest): Promise<TimedRun> {
    const run = await this.runOnGpu(req.binary, harnessArgs(req.target, 'time', req.input, req.output ?? '-', req.seed ?? harnessSeed(), req.minMs, req.maxReps, req.size), req.workDir, this.limits(req.timeoutMs));
    const hostNs = numbersAfter('KLOOP_HOST_NS', run.stdout);
    const t = combineGpuTimes(numbersAfter('KLOOP_TIMES_NS', run.stdout), hostNs, numbersAfter('KLOOP_OVERHEAD_NS', run.stdout)[0] ?? 0);
    const hostMs = hostNs.reduce((a, b) => a + b, 0) / 1e6;
    const ok = run.exitCode === 0 && !run.timedOut && t.timesNs.length > 0 && hostMs <= run.wallMs * 1.01 + 1;
    return { ok, timesNs: t.timesNs, wallMs: run.wallMs, run, reason: ok ? undefined : t.reason };
  }

  async measureProfile(workDir: string): Promise<DeviceProfile> {
    mkdirSync(workDir, { recursive: true });
    writeFileSync(join(workDir, 'peak.cu'), CUDA_PEAK_SOURCE);
    const o = await this.compileUnit(workDir, 'peak.cu', 'peak.o', []);
    const b = o.ok ? await this.link(workDir, ['peak.o'], 'peak.bin') : o;
    if (!b.ok) throw new Error(`GPU profile microbenchmark failed to build:\n${b.log}`);
    const r = await this.runOnGpu(join(workDir, 'peak.bin'), [], workDir, { timeoutMs: 300_000 });
    if (r.exitCode !== 0) throw new Error(`GPU profile microbenchmark failed (${describeExit(r)}): ${r.stderr.trim()}`);
    const j = JSON.parse(r.stdout.trim()) as { name: string; cc: string; sms: number; l2: number; memMb: number; driver: number; runtime: number; fp32all: number; fp64all: number; bwall: number; l2bw?: number };
    const dram = { name: 'DRAM', bytes: j.memMb * 1048576, shared: true, gbs: { one: j.bwall / j.sms, all: j.bwall } };
    const ver = (v: number) => `${Math.floor(v / 1000)}.${(v % 1000) / 10}`;
    return {
      fingerprint: await this.fingerprint(),
      measuredAt: new Date().toISOString(),
      gflops: { fp32: { one: j.fp32all / j.sms, all: j.fp32all }, fp64: { one: j.fp64all / j.sms, all: j.fp64all } },
      bandwidthGBs: dram.gbs,
      levels: monotonic([...(j.l2bw ? [{ name: 'L2', bytes: j.l2, shared: true, gbs: { one: j.l2bw / j.sms, all: j.l2bw } }] : []), dram]),
      gpu: { name: j.name, computeCapability: j.cc, sms: j.sms, l2Bytes: j.l2, memoryMb: j.memMb, driver: `${this.opts.gpu.driver} (CUDA ${ver(j.driver)})`, runtime: ver(j.runtime), nvcc: this.opts.toolkit.version },
    };
  }
}

/**
 * Per-call samples from CUDA events and the host clock: each sample is the larger of the event
 * time and the host time less the launch overhead, so that work the events do not bracket (a
 * side stream, a detached thread's launch) still counts.
 */
export function combineGpuTimes(eventsNs: number[], hostNs: number[], overheadNs: number): { timesNs: number[]; hidden: boolean; reason?: string } {
  if (!eventsNs.length || eventsNs.length !== hostNs.length) return { timesNs: [], hidden: false, reason: 'the harness printed no matching event and host times' };
  const timesNs = eventsNs.map((e, i) => Math.max(e, hostNs[i] - overheadNs));
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const hidden = med(timesNs) > 1.5 * med(eventsNs) + 20_000;
  return { timesNs, hidden };
}
