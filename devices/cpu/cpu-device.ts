import { cpus, totalmem } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { shortHash } from '../../common/index.js';
import type { Limits, RunResult, Sandbox } from '../../sandboxes/index.js';
import { describeExit } from '../../sandboxes/index.js';
import { asCxxSource, type Target } from '../../targets/index.js';
import { trackedHeader } from '../../verifiers/tracked-header.js';
import { harnessBuildError } from '../../verifiers/reference-errors.js';
import type { BuildResult, CheckCasesRequest, CheckRequest, Device, DeviceProfile, Fingerprint, TimedRun, TimeRequest } from '../device.js';
import type { Compiler } from './compiler.js';
import { BuildCache } from '../build-cache.js';
import { EXIT_USAGE, harnessArgs, harnessSeed, numbersAfter } from '../harness-protocol.js';
import { generateHarness, prelude } from './harness.js';
import { casesArgs, splitCases } from './harness-cases.js';
import { mainFileLines } from '../preprocessed.js';
import { PEAK_SOURCE } from './peak-source.js';
import { planCurve, planLevels, readCaches } from './cache-levels.js';
import { monotonic, monotonicCurve } from '../memory-levels.js';

const BASE_FLAGS = ['-O3', '-march=native', '-std=gnu11'];
/**
 * A target that allows no reassociation rounds every operation as written: GNU C's default
 * contraction (a*b+c fused into one FMA where the ISA has it) would round otherwise, and differently
 * in a candidate than in the reference wherever the compiler fuses one and not the other.
 */
/** The niceness of timed runs and of the profile's measurements (root only). */
const TIMED_PRIORITY = -10;
const exactFlags = (t: Target) => (t.allow.reassociation ? [] : ['-ffp-contract=off']);
const BUILD_LIMITS: Limits = { timeoutMs: 120_000, cpuSeconds: 120, fileSizeMb: 256, openFiles: 256, outputBytes: 64 * 1024 };

export interface CpuDeviceOptions {
  sandbox: Sandbox;
  compiler: Compiler;
  /** Shared, trusted build products (harness objects, oracles) keyed by content hash. */
  cacheDir: string;
  threads?: number;
  /** Address-space limit for candidate runs. */
  memoryMb?: number;
  /** Folders every sandboxed process may read (the runs folder: inputs, harness objects). */
  readOnly?: string[];
}

/** The harness could not create its output in its own folder: the sandbox's failure, not the kernel's (see CpuDevice.check). */
const sandboxDeniedWrite = (r: RunResult) => r.exitCode === EXIT_USAGE && /kloop harness: cannot write .*Permission denied/.test(r.stderr);

export class CpuDevice implements Device {
  readonly kind = 'cpu' as const;
  readonly language = 'c' as const;
  readonly sanitizerName = 'AddressSanitizer and UndefinedBehaviorSanitizer';
  readonly threads: number;
  private fp: Fingerprint | undefined;

  constructor(private readonly opts: CpuDeviceOptions) {
    this.threads = opts.threads ?? availableParallelism();
    this.cache = new BuildCache(opts.cacheDir);
    if (process.arch === 'x64' || process.arch === 'arm64')
      this.checkCases = async (req) => {
        const r = await this.casesOnce(req);
        return r.some(sandboxDeniedWrite) ? this.casesOnce(req) : r;
      };
  }

  async fingerprint(): Promise<Fingerprint> {
    if (this.fp) return this.fp;
    let model = cpus()[0]?.model ?? 'unknown';
    let flags = '';
    try {
      const info = readFileSync('/proc/cpuinfo', 'utf8');
      model = /model name\s*:\s*(.*)/.exec(info)?.[1]?.trim() ?? model;
      flags = /flags\s*:\s*(.*)/.exec(info)?.[1]?.trim() ?? '';
    } catch {
      /* not Linux */
    }
    const { version, nativeArch } = this.opts.compiler;
    const flagsHash = shortHash(flags, nativeArch).slice(0, 8);
    const id = `cpu-${shortHash(model, String(this.threads), flagsHash, version).slice(0, 12)}`;
    this.fp = { id, kind: 'cpu', model, cores: this.threads, flagsHash, compiler: version };
    return this.fp;
  }

  private readOnly(): string[] {
    return [this.opts.cacheDir, ...(this.opts.readOnly ?? [])];
  }

  /**
   * Checks and tools run beside other work (builds, other checks): OpenMP's threads sleep at once at
   * a barrier (PASSIVE) rather than spin on cores others need. A timed run holds the device alone,
   * so it runs as the kernel would in production, with OpenMP's default wait policy (threads spin a
   * while at a barrier before sleeping): under PASSIVE a stencil parallelised inside its time loop
   * paid a wake-up per step and timed at 0.4-0.5x of its serial baseline.
   */
  private env(threads = this.threads, timed = false, plainHeap = false): Record<string, string> {
    // glibc fills what malloc hands out and what free takes back with a byte drawn per process: no
    // state survives between calls in freed memory (a call counter or a memo of the inputs kept in a
    // freed block was accepted, and the memo timed 3-5x fast on the timing loop's repeated input).
    // glibc's per-thread cache (chunks up to 1032 bytes) skips the perturbation: it is turned off, so a
    // counter kept in a small freed chunk is wiped like one in a large chunk.
    // A check with `plainHeap` runs as a user's process would, so such state shows there.
    // (and, as a user's program would, without the harness's stack scrub: devices/cpu/harness-stack.ts)
    const perturb: Record<string, string> = plainHeap ? { KLOOP_PLAIN_STACK: '1' } : { MALLOC_PERTURB_: String(1 + Math.floor(Math.random() * 255)), GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' };
    // OMP_THREAD_LIMIT: no team larger than the run's count, so the harness's stack scrub reaches every thread a kernel can have.
    const omp = { OMP_NUM_THREADS: String(threads), OMP_THREAD_LIMIT: String(threads) };
    return timed ? { ...omp, ...perturb } : { ...omp, OMP_WAIT_POLICY: 'PASSIVE', ...perturb };
  }

  private async compile(args: string[], workDir: string, cxx = false): Promise<{ ok: boolean; log: string; ms: number }> {
    const cmd = cxx ? this.opts.compiler.cxx : this.opts.compiler.cc;
    const r = await this.opts.sandbox.run({ cmd, args, cwd: workDir, env: {}, limits: BUILD_LIMITS, readOnly: this.readOnly() });
    const ok = r.exitCode === 0 && !r.timedOut;
    const log = `$ ${cmd} ${args.join(' ')}\n${r.stdout}${r.stderr}${ok ? '' : `\n[${describeExit(r)}]`}\n`;
    return { ok, log, ms: r.wallMs };
  }

  private readonly cache: BuildCache;

  private harnessObject(target: Target): Promise<BuildResult> {
    const src = generateHarness(target, { scalar: 'real' });
    return this.cache.get('harness.o', shortHash(src, this.opts.compiler.version), async (out) => {
      const dir = join(out, '..');
      writeFileSync(join(dir, 'harness.c'), src);
      return this.compile(['-O2', '-std=gnu11', '-c', 'harness.c', '-o', out], dir);
    });
  }

  async build(req: { target: Target; source: string; flags: string[]; workDir: string }): Promise<BuildResult> {
    const { target, workDir } = req;
    mkdirSync(workDir, { recursive: true });
    const harness = await this.harnessObject(target);
    if (!harness.ok) throw harnessBuildError(target, harness.log);
    writeFileSync(join(workDir, 'kloop_prelude.h'), prelude(target));
    writeFileSync(join(workDir, 'kernel.c'), req.source);
    const omp = req.flags.includes('-fopenmp') ? ['-fopenmp'] : [];
    const c = await this.compile([...BASE_FLAGS, ...exactFlags(req.target), ...req.flags, '-include', 'kloop_prelude.h', '-c', 'kernel.c', '-o', 'kernel.o'], workDir);
    if (!c.ok) return { ok: false, log: c.log, ms: c.ms };
    // Full RELRO (-z now): the GOT is read-only once loaded, so a kernel cannot point the harness's clock_gettime at a clock of its own.
    const l = await this.compile(['kernel.o', harness.binary!, '-o', 'kernel.bin', '-Wl,-z,relro,-z,now', ...omp, '-lm'], workDir);
    const log = c.log + l.log;
    writeFileSync(join(workDir, 'build.log'), log);
    return { ok: l.ok, binary: l.ok ? join(workDir, 'kernel.bin') : undefined, log, ms: c.ms + l.ms };
  }

  buildOracle(req: { target: Target; workDir: string }): Promise<BuildResult> {
    const { target } = req;
    const harness = generateHarness(target, { scalar: 'tracked' });
    const header = trackedHeader(target.real);
    return this.cache.get('oracle.bin', shortHash(harness, header, target.referenceSource, this.opts.compiler.version), async (out) => {
      const dir = join(out, '..');
      writeFileSync(join(dir, 'tracked.hpp'), header);
      writeFileSync(join(dir, 'harness.cpp'), harness);
      writeFileSync(join(dir, 'reference.cpp'), asCxxSource(target.referenceSource, target.real));
      return this.compile(['-O2', '-std=gnu++17', '-include', 'tracked.hpp', 'reference.cpp', 'harness.cpp', '-o', out, '-lm'], dir, true);
    });
  }

  async preprocess(req: { target: Target; source: string; flags: string[]; workDir: string }): Promise<{ ok: boolean; text: string; log: string }> {
    const { target, workDir } = req;
    mkdirSync(workDir, { recursive: true });
    writeFileSync(join(workDir, 'kloop_prelude.h'), prelude(target));
    writeFileSync(join(workDir, 'kernel.c'), req.source);
    const c = await this.compile([...BASE_FLAGS, ...req.flags, '-include', 'kloop_prelude.h', '-E', 'kernel.c', '-o', 'kernel.i'], workDir);
    if (!c.ok) return { ok: false, text: '', log: c.log };
    return { ok: true, text: mainFileLines(readFileSync(join(workDir, 'kernel.i'), 'utf8'), 'kernel.c'), log: c.log };
  }

  objectSymbols(workDir: string): Promise<{ ok: boolean; text: string }> {
    return this.opts.sandbox
      .run({ cmd: 'nm', args: ['-f', 'sysv', 'kernel.o'], cwd: workDir, env: {}, limits: { timeoutMs: 30_000, outputBytes: 1 << 20 }, readOnly: this.readOnly() })
      .then((r) => ({ ok: r.exitCode === 0, text: r.stdout }));
  }

  private static readonly SAN = ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

  private sanitizedHarnessObject(target: Target): Promise<BuildResult> {
    const src = generateHarness(target, { scalar: 'real' });
    return this.cache.get('harness-san.o', shortHash(src, 'san', this.opts.compiler.version), async (out) => {
      const dir = join(out, '..');
      writeFileSync(join(dir, 'harness.c'), src);
      return this.compile([...CpuDevice.SAN, '-DKLOOP_SANITIZE', '-std=gnu11', '-c', 'harness.c', '-o', out], dir);
    });
  }

  async prepareTarget(target: Target): Promise<void> {
    await Promise.allSettled([this.harnessObject(target), this.sanitizedHarnessObject(target)]);
  }

  async buildSanitized(req: { target: Target; source: string; flags: string[]; workDir: string }): Promise<BuildResult> {
    const { target, workDir } = req;
    const harness = await this.sanitizedHarnessObject(target);
    if (!harness.ok) throw new Error(`kloop's sanitizer harness failed to build for ${target.name}:\n${harness.log}`);
    mkdirSync(workDir, { recursive: true });
    writeFileSync(join(workDir, 'kloop_prelude.h'), prelude(target));
    writeFileSync(join(workDir, 'kernel-san.c'), req.source);
    const flags = req.flags.filter((f) => f !== '-ffast-math');
    const omp = flags.includes('-fopenmp') ? ['-fopenmp'] : [];
    const c = await this.compile([...CpuDevice.SAN, '-march=native', '-std=gnu11', ...exactFlags(req.target), ...flags, '-include', 'kloop_prelude.h', '-c', 'kernel-san.c', '-o', 'kernel-san.o'], workDir);
    if (!c.ok) return { ok: false, log: c.log, ms: c.ms };
    const l = await this.compile([...CpuDevice.SAN, 'kernel-san.o', harness.binary!, '-o', 'kernel-san.bin', ...omp, '-lm'], workDir);
    return { ok: l.ok, binary: l.ok ? join(workDir, 'kernel-san.bin') : undefined, log: c.log + l.log, ms: c.ms + l.ms };
  }

  async buildProof(req: { target: Target; source: string; workDir: string; name: string; harness: string; header: string; flags?: string[] }): Promise<BuildResult> {
    // The proof reads the program the C build compiles: the same target (-march=native, so the ISA
    // macros agree) and, for -fopenmp, the same _OPENMP (the pragmas stay unexpanded: race-free
    // loops compute the same in any order; omp_* calls link against libgomp, outside a team).
    // Macros the other allowed flags set (-ffast-math's) are refused by the static gate instead.
    // No contraction, so the symbolic type's own arithmetic does not depend on the target.
    const flags = ['-O1', '-march=native', '-ffp-contract=off', '-std=gnu++17', '-w'];
    const omp = req.name !== 'reference' && req.flags?.includes('-fopenmp') ? ['-D_OPENMP=201511'] : [];
    // The symbolic header pulls in heavy C++ headers: precompile it once (same flags as its users).
    const pch = await this.cache.get('symbolic.hpp.gch', shortHash(req.header, flags.join(' '), this.opts.compiler.version), async (out) => {
      writeFileSync(join(out, '..', 'symbolic.hpp'), req.header);
      return this.compile([...flags, '-x', 'c++-header', 'symbolic.hpp', '-o', out], join(out, '..'), true);
    });
    const header = pch.ok ? join(pch.binary!, '..', 'symbolic.hpp') : 'symbolic.hpp';
    // The harness is the same for every candidate of a target: compiled once (it is most of a proof build's time).
    const harnessObj = await this.cache.get('proof-harness.o', shortHash(req.harness, req.header, flags.join(' '), omp.join(' '), this.opts.compiler.version), async (out) => {
      const dir = join(out, '..');
      writeFileSync(join(dir, 'symbolic.hpp'), req.header);
      writeFileSync(join(dir, 'proof-harness.cpp'), req.harness);
      return this.compile([...flags, ...omp, '-include', header, '-c', 'proof-harness.cpp', '-o', out], dir, true);
    });
    const make = async (dir: string, out: string) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'symbolic.hpp'), req.header);
      writeFileSync(join(dir, `${req.name}-proof.cpp`), req.source);
      writeFileSync(join(dir, 'proof-harness.cpp'), req.harness);
      const harness = harnessObj.ok ? harnessObj.binary! : 'proof-harness.cpp';
      return this.compile([...flags, ...omp, '-include', header, `${req.name}-proof.cpp`, harness, '-o', out, ...(omp.length ? ['-lgomp'] : []), '-lm'], dir, true);
    };
    if (req.name === 'reference') return this.cache.get('proof-ref.bin', shortHash(req.source, req.harness, req.header, flags.join(' '), this.opts.compiler.version), (out) => make(join(out, '..'), out));
    const out = join(req.workDir, `${req.name}-proof.bin`);
    const r = await make(req.workDir, out);
    return { ok: r.ok, binary: r.ok ? out : undefined, log: r.log, ms: r.ms };
  }

  runTool(req: { binary: string; args: string[]; workDir: string; timeoutMs: number; sanitized?: boolean; threads?: number }): Promise<RunResult> {
    const limits = this.runLimits(req.timeoutMs, 1024, req.threads);
    // AddressSanitizer reserves terabytes of shadow address space: no address-space limit there. Its
    // fill byte for fresh memory is drawn per run (0xbe by default: a kernel read it to tell the
    // sanitizer build from the real one and over-read only outside it).
    if (req.sanitized) delete limits.addressSpaceMb;
    const env = {
      ...this.env(req.threads),
      ...(req.sanitized ? { ASAN_OPTIONS: `detect_leaks=0:abort_on_error=0:exitcode=23:malloc_fill_byte=${Math.floor(Math.random() * 256)}`, UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1:exitcode=23' } : {}),
    };
    return this.opts.sandbox.run({ cmd: req.binary, args: req.args, cwd: req.workDir, env, limits, readOnly: this.readOnly() });
  }

  private runLimits(timeoutMs: number, fileSizeMb = 1024, threads = this.threads): Limits {
    return { timeoutMs, cpuSeconds: Math.ceil((timeoutMs / 1000) * Math.max(threads, this.threads)) + 1, addressSpaceMb: this.opts.memoryMb ?? 8192, fileSizeMb, openFiles: 64 };
  }

  /**
   * One check run. A run the sandbox did not let write its own folder (the harness's "cannot write
   * …: Permission denied", seen now and then when runs start at once) is run once more: that is the
   * sandbox's failure, not the kernel's, and must not become its verdict.
   */
  async check(req: CheckRequest): Promise<RunResult> {
    const r = await this.checkOnce(req);
    return sandboxDeniedWrite(r) ? this.checkOnce(req) : r;
  }

  private checkOnce(req: CheckRequest): Promise<RunResult> {
    const args = harnessArgs(req.target, 'check', req.input, req.output, req.seed ?? harnessSeed(), 0, 1, req.size);
    if (req.sanitized) return this.runTool({ binary: req.binary, args, workDir: req.workDir, timeoutMs: req.timeoutMs, sanitized: true, threads: req.threads });
    return this.opts.sandbox.run({
      cmd: req.binary,
      args,
      cwd: req.workDir,
      env: this.env(req.threads, false, req.plainHeap),
      limits: this.runLimits(req.timeoutMs, 256, req.threads),
      readOnly: this.readOnly(),
    });
  }

  /**
   * Check cases in one sandboxed process, each in a fork of its own (harness-cases.ts): the
   * sandbox's start-up once per process, not per case. On x86-64 and AArch64, where the harness can
   * forbid a case new processes; elsewhere (undefined) one process per case.
   */
  readonly checkCases?: (req: CheckCasesRequest) => Promise<RunResult[]>;

  private async casesOnce(req: CheckCasesRequest): Promise<RunResult[]> {
    const args = casesArgs(req.target, req);
    // The whole process may take every case's time, and a little for the forks.
    const timeoutMs = req.timeoutMs * req.cases.length + 1000;
    const r = req.sanitized
      ? await this.runTool({ binary: req.binary, args, workDir: req.workDir, timeoutMs, sanitized: true, threads: req.threads })
      : await this.opts.sandbox.run({ cmd: req.binary, args, cwd: req.workDir, env: this.env(req.threads), limits: this.runLimits(timeoutMs, 256, req.threads), readOnly: this.readOnly() });
    return splitCases(r, req.cases.length);
  }

  async time(req: TimeRequest): Promise<TimedRun> {
    const once = () =>
      this.opts.sandbox.run({
        cmd: req.binary,
        args: harnessArgs(req.target, 'time', req.input, req.output ?? '-', req.seed ?? harnessSeed(), req.minMs, req.maxReps, req.size),
        cwd: req.workDir,
        env: this.env(this.threads, true),
        // ahead of kloop's own work beside it (sandbox.ts, Limits.priority)
        limits: { ...this.runLimits(req.timeoutMs), priority: TIMED_PRIORITY },
        readOnly: this.readOnly(),
      });
    const first = await once();
    const run = sandboxDeniedWrite(first) ? await once() : first;
    const timesNs = numbersAfter('KLOOP_TIMES_NS', run.stdout);
    const harnessMs = timesNs.reduce((a, b) => a + b, 0) / 1e6;
    // The harness's clock is cross-checked against ours: it cannot claim more time passed than did.
    const ok = run.exitCode === 0 && !run.timedOut && timesNs.length > 0 && harnessMs <= run.wallMs * 1.01 + 1;
    return { ok, timesNs, wallMs: run.wallMs, run };
  }

  async measureProfile(workDir: string): Promise<DeviceProfile> {
    mkdirSync(workDir, { recursive: true });
    writeFileSync(join(workDir, 'peak.c'), PEAK_SOURCE);
    const b = await this.compile(['-O3', '-march=native', '-fopenmp', 'peak.c', '-o', 'peak.bin'], workDir);
    if (!b.ok) throw new Error(`device profile microbenchmark failed to build:\n${b.log}`);
    const { caches, siblings } = readCaches();
    const plans = planLevels(caches, siblings, this.threads, totalmem());
    const curve = planCurve(plans, this.threads);
    const args = [...plans.flatMap((l) => [l.name, String(l.wsOne), String(l.wsAll)]), ...curve.flatMap((w) => [`@${w}`, '0', String(Math.floor(w / this.threads))])];
    const r = await this.opts.sandbox.run({ cmd: join(workDir, 'peak.bin'), args, cwd: workDir, env: { OMP_NUM_THREADS: String(this.threads) }, limits: { timeoutMs: 120_000, priority: TIMED_PRIORITY }, readOnly: this.readOnly() });
    if (r.exitCode !== 0) throw new Error(`device profile microbenchmark failed (${describeExit(r)}): ${r.stderr}`);
    const j = JSON.parse(r.stdout.trim()) as Record<string, number> & { levels: { name: string; one: number; all: number }[] };
    const levels = monotonic(plans.map((l, i) => ({ name: l.name, bytes: l.bytes, shared: l.shared, gbs: { one: j.levels[i].one, all: j.levels[i].all } })));
    const measuredCurve = monotonicCurve(curve.map((bytes, i) => ({ bytes, gbs: j.levels[plans.length + i].all })));
    return {
      fingerprint: await this.fingerprint(),
      measuredAt: new Date().toISOString(),
      gflops: { fp32: { one: j.fp32one, all: j.fp32all }, fp64: { one: j.fp64one, all: j.fp64all } },
      bandwidthGBs: levels.at(-1)!.gbs,
      levels,
      curve: measuredCurve,
    };
  }
}
