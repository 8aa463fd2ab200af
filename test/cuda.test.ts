import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tuneCuda, parseTunables, restrictKernels, withTunables } from '../agents/builtin/cuda-tuner.js';
import { promptVars } from '../agents/llm/prompt-vars.js';
import { LlmWriter, writerSystemPrompt } from '../agents/llm/index.js';
import { CommandProvider } from '../agents/providers/index.js';
import type { WriteContext } from '../agents/index.js';
import { UserError } from '../common/index.js';
import { combineGpuTimes, CpuDevice, CudaDevice, detectCompiler, detectCudaToolkit, EXIT_GUARD, EXIT_NO_GPU, findGpu, listGpus, rewriteLaunches, smArch, type CudaToolkit, type DeviceProfile } from '../devices/index.js';
import { createRun, type KloopEvent } from '../loop/index.js';
import { FileStore } from '../memory/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { CATALOG_DIR, loadTarget, type Target } from '../targets/index.js';
import { checkSymbols, parseNm, scanSource, Verifier } from '../verifiers/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow } from '../workflow/index.js';
import { smallTarget, tmp } from './helpers.js';

const CUDA_TARGETS = ['sgemm', 'softmax', 'layernorm', 'sum'];
const toolkit: CudaToolkit | undefined = (() => {
  try {
    return detectCudaToolkit();
  } catch {
    return undefined;
  }
})();
const hasGpu = listGpus().gpus.length > 0;
const GPU = { index: 0, name: 'test GPU', computeCapability: '9.0', memoryMb: 81559, driver: 'none' };

function device(dir: string, emulate: boolean): CudaDevice {
  const sandbox = new ProcessSandbox();
  const compiler = detectCompiler();
  const host = new CpuDevice({ sandbox, compiler, cacheDir: join(dir, 'cache') });
  return new CudaDevice({ sandbox, toolkit: toolkit ?? { nvcc: 'nvcc', version: 'none' }, gpu: GPU, host, cacheDir: join(dir, 'cache'), emulate: emulate ? { cxx: compiler.cxx } : undefined });
}

const cudaProfile: DeviceProfile = {
  fingerprint: { id: 'cuda-test', kind: 'cuda', model: 'NVIDIA H100 (sm_90)', cores: 1, flagsHash: 'x', compiler: 'nvcc 13.0' },
  measuredAt: '2026-11-22T00:00:00Z',
  gflops: { fp32: { one: 400, all: 52800 }, fp64: { one: 200, all: 26400 } },
  bandwidthGBs: { one: 25, all: 3300 },
  levels: [
    { name: 'L2', bytes: 52428800, shared: true, gbs: { one: 50, all: 6600 } },
    { name: 'DRAM', bytes: 81559 * 1048576, shared: true, gbs: { one: 25, all: 3300 } },
  ],
  gpu: { name: 'NVIDIA H100', computeCapability: '9.0', sms: 132, l2Bytes: 52428800, memoryMb: 81559, driver: '570', runtime: '13.0', nvcc: '13.0' },
};

function writeCtx(t: Target, source: string, slots = 6, tried = new Set<string>()): WriteContext {
  return {
    target: t,
    baseline: { target: t.name, fingerprint: 'cuda-test', source, flags: [], vsReference: 1, verdict: 'reference', description: 'reference', lineage: [], updatedAt: '' },
    deviceProfile: cudaProfile,
    insights: [],
    history: [],
    round: 1,
    candidates: slots,
    cores: 1,
    seed: 7,
    profile: { target: t.name, medianNs: 1e6, roofline: { gflops: 1, gbs: 1, intensity: 1, roofGflops: 2, pctOfRoof: 50, bound: 'memory' }, vsReference: 1, summary: '' },
    diagnosis: { bottleneck: 'memory', summary: '', ideas: [] },
    tried,
    slots: Array.from({ length: slots }, (_, i) => ({ id: `c${i}`, dir: '/nonexistent' })),
  };
}

describe('CUDA builds with nvcc (compile-tested; no GPU needed)', () => {
  it.skipIf(!toolkit).each(CUDA_TARGETS)(
    '%s: reference, starter and one tuner proposal of each kind build with the generated harness',
    async (name) => {
      const dir = tmp('kloop-nvcc-');
      const dev = device(dir, false);
      const t = loadTarget(join(CATALOG_DIR, name));
      const drafts = tuneCuda(writeCtx(t, t.cuda!.referenceSource, 2));
      expect(drafts[0].description).toMatch(/^tunable starter/);
      // From the starter: one proposal of every kind the tuner makes (tunables, flags, unroll pragmas, __restrict__).
      const all = tuneCuda(writeCtx(t, t.cuda!.starterSource!, 200));
      const kinds = ['tune ', 'flag ', '#pragma unroll', '__restrict__'];
      const oneOfEach = kinds.map((k) => all.find((d) => d.description.startsWith(k))).filter((d) => d !== undefined);
      // (the starters already carry __restrict__; the references get it proposed)
      expect(oneOfEach.map((d) => kinds.find((k) => d.description.startsWith(k)))).toEqual(['tune ', 'flag ', '#pragma unroll']);
      const sources = [{ source: t.cuda!.referenceSource, flags: [] as string[] }, ...drafts, ...oneOfEach];
      const built = await Promise.all(sources.map((d, i) => dev.build({ target: t, source: d.source, flags: d.flags, workDir: join(dir, `k${i}`) })));
      for (const b of built) expect(b.ok, b.log).toBe(true);
      const nm = await dev.objectSymbols(join(dir, 'k0'));
      expect(nm.ok).toBe(true);
      expect(checkSymbols(parseNm(nm.text), t.fn, 'cuda')).toBeUndefined();
      if (!hasGpu) {
        // Without a GPU the harness names the problem in one line and a distinct exit code.
        const r = await dev.check({ binary: built[0].binary!, target: t, size: t.checkSizes[0], input: '/dev/null', output: join(dir, 'o'), workDir: join(dir, 'k0'), timeoutMs: 20_000 });
        expect(r.exitCode).toBe(EXIT_NO_GPU);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/^kloop harness: CUDA error cudaError\w+ .* while looking for a GPU/);
      }
    },
    120_000,
  );

  it.skipIf(!toolkit)(
    'the object-file rules see device state, extra global functions and forbidden runtime calls in nvcc objects',
    () => {
      const dir = tmp('kloop-nvcc-nm-');
      const nm = (src: string) => {
        writeFileSync(join(dir, 'k.cu'), `typedef float real;\nextern "C" void sum(int N, const real *X, real *S);\n${src}`);
        execFileSync(toolkit!.nvcc, ['-arch=sm_90', '-c', 'k.cu', '-o', 'k.o'], { cwd: dir });
        return checkSymbols(parseNm(execFileSync('nm', [join(dir, 'k.o')], { encoding: 'utf8' })), 'sum', 'cuda');
      };
      const kernel = 'static __global__ void k(int N, const real *X, real *S) { real s = 0; for (int i = 0; i < N; i++) s += X[i]; S[0] = s; }\n';
      expect(nm(`${kernel}void sum(int N, const real *X, real *S) { k<<<1, 1>>>(N, X, S); }`)).toBeUndefined();
      expect(nm(`__device__ real cache;\n${kernel}void sum(int N, const real *X, real *S) { k<<<1, 1>>>(N, X, S); }`)?.what).toMatch(/mutable static state \(cache\)/);
      expect(nm(`${kernel}void helper() {}\nvoid sum(int N, const real *X, real *S) { k<<<1, 1>>>(N, X, S); }`)?.what).toMatch(/defines the global symbol _Z6helperv/);
      expect(nm(`${kernel}void sum(int N, const real *X, real *S) { k<<<1, 1>>>(N, X, S); cudaDeviceSynchronize(); }`)?.what).toMatch(/calls cudaDeviceSynchronize/);
    },
    60_000,
  );
});

/**
 * The starter with its block and grid tunables (BLOCK, GRID) at the smallest value its "kloop: tune"
 * line lists, one the tuner proposes: the emulation runs every CUDA thread of a block as an OS thread,
 * so the sum starter's 256 blocks of 256 took 110 s of CI through the whole gate; 64 of 64 run the
 * same code 16 times faster. (Tile sizes, whose values constrain each other, are left as shipped.)
 */
function atSmallestBlocks(source: string): string {
  const values = Object.fromEntries(
    parseTunables(source)
      .filter((u) => u.name === 'BLOCK' || u.name === 'GRID')
      .map((u) => [u.name, u.options.reduce((a, b) => (Number(b) < Number(a) ? b : a))]),
  );
  return withTunables(source, values);
}

describe('CUDA kernels run for real on the CPU emulation of CUDA (same harness, same files)', () => {
  let dir: string;
  let dev: CudaDevice;
  let verifier: Verifier;
  beforeAll(() => {
    dir = tmp('kloop-cuda-emu-');
    dev = device(dir, true);
    // The emulation runs each thread of a block as an OS thread, a block at a time: one call of the sum
    // starter (256 blocks of 256) takes about a second here, and more than the default 10 s per case on
    // a loaded 2-core machine. The case timeout guards against hangs, not speed (there is no GPU timing here).
    // One call per case (not one per poison kind): the CPU harness's tests cover the poison kinds.
    verifier = new Verifier({ device: dev, hiddenSizes: 3, caseTimeoutMs: 60_000, poisonCalls: 1 });
  });

  it.each(CUDA_TARGETS)(
    '%s: the shipped CUDA reference and starter (at its smallest blocks) pass the verifier; the proof is reported not applicable',
    async (name) => {
      const t = loadTarget(join(CATALOG_DIR, name));
      const plan = await verifier.prepare(t, 11, join(dir, name, 'plan'));
      for (const [k, source] of [
        ['ref', t.cuda!.referenceSource],
        ['starter', atSmallestBlocks(t.cuda!.starterSource!)],
      ] as const) {
        const b = await dev.build({ target: t, source, flags: [], workDir: join(dir, name, k) });
        expect(b.ok, b.log).toBe(true);
        const v = await verifier.verify(plan, { binary: b.binary!, source, flags: [], workDir: join(dir, name, k) });
        expect(v.status, `${name} ${k}: ${v.layer} ${v.reason}`).toBe('tested');
        expect(v.proof?.status).toBe('inapplicable');
        expect(v.layers).toContain('stale-state');
        expect(v.layers).not.toContain('race');
      }
    },
    300_000,
  );

  it('rejects wrong CUDA kernels as verdicts: no bounds check, a dropped tile remainder, a missing or divergent barrier, a write past the end, a side stream, a clock', async () => {
    const t = loadTarget(join(CATALOG_DIR, 'sgemm'));
    const plan = await verifier.prepare(t, 5, join(dir, 'bad', 'plan'));
    const starter = t.cuda!.starterSource!;
    const cases: [string, string, RegExp][] = [
      ['no-bounds', starter.replace('if (r < M && c < N) C[r * N + c] = acc[i][j];', 'C[r * N + c] = acc[i][j];'), /^(bounds|compare|run)$/],
      ['no-remainder', starter.replace('for (int k0 = 0; k0 < K; k0 += BK) {', 'for (int k0 = 0; k0 + BK <= K; k0 += BK) {'), /^compare$/],
      // A missing barrier: the tile read before every thread has stored its part, or overwritten
      // with the next one while others still read it (the emulation runs a block's threads in an
      // order that alternates between barriers, so either shows as wrong values)
      ['no-load-barrier', starter.replace('    __syncthreads();\n#pragma unroll', '#pragma unroll'), /^compare$/],
      ['no-reuse-barrier', starter.replace(/(acc\[i\]\[j\] \+= a\[i\] \* b\[j\];\n    \})\n    __syncthreads\(\);/, '$1'), /^compare$/],
      // A warp barrier only one lane reaches: a hang on a GPU, a crash in the emulation
      ['divergent-barrier', starter.replace('real acc[TM][TN];', 'real acc[TM][TN]; if (threadIdx.x == 0) __syncwarp();'), /^run$/],
      ['side-stream', starter.replace('sgemm_tiled<<<grid, THREADS>>>', 'cudaStream_t s; cudaStreamCreateWithFlags(&s, 1); sgemm_tiled<<<grid, THREADS, 0, s>>>'), /^static$/],
      ['clock', starter.replace('real acc[TM][TN];', 'real acc[TM][TN]; long long t0 = clock64(); (void)t0;'), /^static$/],
    ];
    for (const [k, source, layer] of cases) {
      expect(source).not.toBe(starter);
      // The source rules come first in the gate (the emulation has no streams or clocks to build against).
      if (layer.source === '^static$') {
        expect(scanSource(source, 'cuda')?.what, k).toMatch(/no clocks, side streams/);
        continue;
      }
      const b = await dev.build({ target: t, source, flags: [], workDir: join(dir, 'bad', k) });
      const v = b.ok ? await verifier.verify(plan, { binary: b.binary!, source, flags: [], workDir: join(dir, 'bad', k) }) : undefined;
      expect(v?.status, k).toBe('rejected');
      expect(v?.layer, `${k}: ${v?.reason}`).toMatch(layer);
    }
    // Guard zones on the device: a write one past the end of C exits with the guard code.
    const oob = t.cuda!.referenceSource.replace('C[i * N + j] = acc;', 'C[i * N + j] = acc; if (i == M - 1 && j == N - 1) C[M * N] = 0;');
    const b = await dev.build({ target: t, source: oob, flags: [], workDir: join(dir, 'bad', 'oob') });
    const v = await verifier.verify(plan, { binary: b.binary!, source: oob, flags: [], workDir: join(dir, 'bad', 'oob') });
    expect([v.layer, v.reason]).toEqual(['bounds', expect.stringMatching(/write outside the bounds of C \(past its end\)/)]);
    expect(EXIT_GUARD).toBe(3);
  }, 300_000);

  it('accepts kernels written the way CUDA programmers write them: float4 loads, __shfl_down_sync, rsqrtf', async () => {
    const t = loadTarget(join(CATALOG_DIR, 'sum'));
    const plan = await verifier.prepare(t, 9, join(dir, 'idioms', 'plan'));
    const source = `static __global__ void sum1(int N, const real *__restrict__ X, real *__restrict__ S) {
  __shared__ real warps[32];
  real s = 0;
  const float4 *X4 = reinterpret_cast<const float4 *>(X);
  for (int i = threadIdx.x; i < N / 4; i += blockDim.x) { float4 v = X4[i]; s += (v.x + v.y) + (v.z + v.w); }
  for (int i = N / 4 * 4 + threadIdx.x; i < N; i += blockDim.x) s += X[i];
  for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
  if (threadIdx.x % warpSize == 0) warps[threadIdx.x / warpSize] = s;
  __syncthreads();
  if (threadIdx.x < 32) {
    real t = threadIdx.x < blockDim.x / 32 ? warps[threadIdx.x] : 0;
    t = __shfl_sync(0xffffffffu, t, threadIdx.x) * rsqrtf(1.0f);
    for (int o = 16; o > 0; o >>= 1) t += __shfl_down_sync(0xffffffffu, t, o);
    if (threadIdx.x == 0) S[0] = t;
  }
}
void sum(int N, const real *X, real *S) { sum1<<<1, 128>>>(N, X, S); }
`;
    const b = await dev.build({ target: t, source, flags: [], workDir: join(dir, 'idioms', 'k') });
    expect(b.ok, b.log).toBe(true);
    const v = await verifier.verify(plan, { binary: b.binary!, source, flags: [], workDir: join(dir, 'idioms', 'k') });
    expect(v.status, `${v.layer}: ${v.reason}`).toBe('tested');
    if (toolkit) {
      const g = await device(dir, false).build({ target: t, source, flags: [], workDir: join(dir, 'idioms', 'nvcc') });
      expect(g.ok, g.log).toBe(true);
    }
  }, 60_000);

  it('time mode prints event, host and overhead figures and rotates inputs over copies larger than twice the L2', async () => {
    const t = loadTarget(join(CATALOG_DIR, 'sum'));
    const plan = await verifier.prepare(t, 3, join(dir, 'time', 'plan'));
    const b = await dev.build({ target: t, source: t.cuda!.referenceSource, flags: [], workDir: join(dir, 'time', 'k') });
    const k = plan.cases.at(-1)!;
    // Exactly three timed calls whatever the machine's load (a minimum time never reached, three calls at most):
    // with a minimum of a few ms, a loaded machine's first call already reaches it and only one is made.
    const r = await dev.time({ binary: b.binary!, target: t, size: k.size, input: k.inputFile, output: join(dir, 'time', 'k', 'timed.out'), minMs: 1e9, maxReps: 3, workDir: join(dir, 'time', 'k'), timeoutMs: 60_000 });
    expect(r.ok, r.run.stderr).toBe(true);
    expect(r.timesNs).toHaveLength(3);
    expect(r.run.stdout).toMatch(/KLOOP_HOST_NS( \d+){3}$/m);
    // The emulation reports a 1 MiB L2: a small input is rotated over the maximum of 64 copies.
    expect(r.run.stdout).toMatch(/KLOOP_ROTATIONS 64/);
  }, 60_000);
});

describe('the loop on a CUDA device (over the CPU emulation): CUDA reference first, tuner proposals verified, timed and recorded', () => {
  // sgemm: its starter's few blocks emulate in seconds (sum's 256 blocks of 256 threads, at each of
  // its ~36 size-path cases, take minutes per candidate; the shipped sum starter is verified above).
  it('runs a round on sgemm with the CUDA reference as the first baseline and CUDA candidates in the results', async () => {
    const cwd = tmp('kloop-cuda-loop-');
    const target = smallTarget('sgemm', '{M: 128, N: 128, K: 128}', cwd);
    const dev = device(cwd, true);
    const fp = await dev.fingerprint();
    const memory = FileStore.open(join(cwd, 'memory.json'));
    // The emulation has no GPU peaks to measure: the profile of a real H100 stands in.
    await memory.putProfile({ ...cudaProfile, fingerprint: fp });
    const w = loadWorkflow(DEFAULT_WORKFLOW);
    w.config.device = 'cuda';
    w.config.git.commit = false;
    w.config.verify.hidden_sizes = 2;
    w.config.timing = { min_pairs: 2, max_pairs: 2, min_ms: 5, max_reps: 5 };
    w.config.loop.candidates = 3;
    const events: KloopEvent[] = [];
    const runner = await createRun({ workflow: w, cwd, targets: [target], rounds: 1, device: dev, memory, sandbox: new ProcessSandbox(), onEvent: (e) => events.push(e) });
    const summary = await runner.run();
    expect(summary.candidates).toBe(3);
    const results = events.filter((e): e is Extract<KloopEvent, { type: 'candidate.result' }> => e.type === 'candidate.result').map((e) => e.result);
    expect(results.map((r) => r.description)[0]).toMatch(/^tunable starter \(BM=64 BN=64 BK=16 TM=4 TN=4\)/);
    // Every candidate was built with the emulated CUDA toolchain, verified (tested: no proof on a GPU) and timed against the CUDA reference.
    for (const r of results) {
      expect(r.verdict, `${r.id}: ${r.reason}`).toMatch(/^tested/);
      expect(['keep', 'discard']).toContain(r.status);
      expect(r.speedup).toBeGreaterThan(0);
    }
    const candidateDir = join(runner.dir, 'candidates', results[0].id);
    expect(readFileSync(join(candidateDir, 'kernel.cu'), 'utf8')).toMatch(/sgemm_tiled<<<grid, THREADS>>>/);
    const b = await memory.getBaseline('sgemm', fp.id);
    if (b) expect(b.source).toMatch(/__global__/);
    // A target without a CUDA reference is refused at start, in one line.
    const err = await createRun({ workflow: w, cwd, targets: ['jacobi'], device: dev, memory, sandbox: new ProcessSandbox() }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/jacobi: no reference\.cu, so target jacobi cannot run on a CUDA device; add a CUDA reference or leave the target out$/);
  }, 300_000);
});

describe('kloop verify --device cuda-emulated', () => {
  it('accepts the shipped starter and rejects one without its bounds check, with the evidence', () => {
    const cli = join(CATALOG_DIR, '..', '..', 'dist', 'cli', 'main.js');
    // sgemm: the cheapest starter to emulate (the CLI is what is tested here; every shipped starter is verified above).
    const dir = tmp('kloop-verify-cu-');
    const starter = loadTarget(join(CATALOG_DIR, 'sgemm')).cuda!.starterPath!;
    const ok = execFileSync('node', [cli, 'verify', 'sgemm', starter, '--device', 'cuda-emulated', '--memory', join(dir, 'm.json')], { encoding: 'utf8', cwd: dir });
    expect(ok).toMatch(/^sgemm: TESTED/);
    expect(ok).toMatch(/proof: inapplicable/);
    const bad = readFileSync(starter, 'utf8').replace('if (r < M && c < N) C[r * N + c] = acc[i][j];', 'C[r * N + c] = acc[i][j];');
    expect(bad).not.toBe(readFileSync(starter, 'utf8'));
    writeFileSync(join(dir, 'bad.cu'), bad);
    let out = '';
    try {
      execFileSync('node', [cli, 'verify', 'sgemm', join(dir, 'bad.cu'), '--device', 'cuda-emulated', '--memory', join(dir, 'm.json')], { encoding: 'utf8', cwd: dir });
    } catch (e) {
      out = (e as { stdout: string; status: number }).stdout;
      expect((e as { status: number }).status).toBe(1);
    }
    expect(out).toMatch(/^sgemm: REJECTED by (bounds|compare|run)/);
  }, 300_000);
});

describe('model-backed writers on a GPU', () => {
  it('a command-line agent edits kernel.cu in its workspace; the draft is CUDA with CUDA flags only', async () => {
    const t = loadTarget(join(CATALOG_DIR, 'softmax'));
    const provider = new CommandProvider({
      argv: ['sh', '-c', 'test -f {workspace}/kernel.cu && sed -i "s/fmaxf(m, x\\[c\\])/fmaxf(x[c], m)/" {kernel_file}'],
      timeoutMs: 20_000,
      outputBytes: 1 << 20,
      env: [],
      sandbox: new ProcessSandbox(),
      scratchDir: tmp('kloop-agent-'),
    });
    const w = new LlmWriter({ provider, template: loadWorkflow(DEFAULT_WORKFLOW).prompts.writer!, maxTurns: 1 });
    const ctx = { ...writeCtx(t, t.cuda!.starterSource!, 1), slots: [{ id: 'softmax-r1-c1', dir: tmp('kloop-slot-') }] };
    ctx.diagnosis = { bottleneck: 'memory', summary: 's', ideas: [{ title: 'swap', detail: 'd', favour: [] }] };
    const [session] = await w.sessions(ctx);
    const d = await session.next();
    expect(d?.problem).toBeUndefined();
    expect(d?.source).toContain('fmaxf(x[c], m)');
    expect(d?.source).toContain('__global__');
    expect(writerSystemPrompt(ctx)).toMatch(/one ```cuda block/);
    expect(writerSystemPrompt(ctx)).toMatch(/nvcc flags, chosen from: --extra-device-vectorization -use_fast_math/);
  });
});

describe('CUDA pieces that need no compiler', () => {
  it('timing: work the events do not bracket (a side stream) still counts through the host clock', () => {
    const honest = combineGpuTimes([100_000, 101_000, 99_000], [112_000, 113_000, 111_000], 10_000);
    expect(honest.timesNs).toEqual([102_000, 103_000, 101_000]);
    expect(honest.hidden).toBe(false);
    const hiding = combineGpuTimes([5_000, 5_000, 5_000], [900_000, 905_000, 899_000], 10_000);
    expect(hiding.timesNs).toEqual([890_000, 895_000, 889_000]);
    expect(hiding.hidden).toBe(true);
    expect(combineGpuTimes([1], [], 0).reason).toMatch(/no matching/);
  });

  it('kernel launches become emulator calls, template kernels and nested parentheses included', () => {
    expect(rewriteLaunches('k<<<grid, b>>>(M, f(N), A);')).toBe('kl_emu_launch(dim3(grid), dim3(b), [=] { k(M, f(N), A); });');
    expect(rewriteLaunches('fma<T><<<(n + 1) / 2, 256, 0, s>>>(out);')).toBe('kl_emu_launch(dim3((n + 1) / 2), dim3(256), [=] { fma<T>(out); });');
  });

  it('the tuner: tunables parsed and rewritten, neighbours first, tried programs skipped, __restrict__ where missing', () => {
    const t = loadTarget(join(CATALOG_DIR, 'sgemm'));
    const starter = t.cuda!.starterSource!;
    const tun = parseTunables(starter);
    expect(tun.map((x) => `${x.name}=${x.value}`)).toEqual(['BM=64', 'BN=64', 'BK=16', 'TM=4', 'TN=4']);
    expect(parseTunables(withTunables(starter, { BM: '128' }))[0]).toEqual({ name: 'BM', value: '128', options: ['32', '64', '128'] });
    const drafts = tuneCuda(writeCtx(t, starter, 8));
    expect(drafts).toHaveLength(8);
    expect(new Set(drafts.map((d) => d.source + d.flags.join(' '))).size).toBe(8);
    for (const d of drafts) expect(d.description).toMatch(/^(tune |flag |__restrict__|#pragma unroll)/);
    const again = tuneCuda(writeCtx(t, starter, 8, new Set(drafts.map((d) => `${[...d.flags].sort().join(' ')}\n${d.source}`))));
    expect(again.some((d) => drafts.some((x) => x.source === d.source && x.flags.join() === d.flags.join()))).toBe(false);
    expect(restrictKernels('static __global__ void k(int n, const real *X, real *Y) {}')).toBe('static __global__ void k(int n, const real *__restrict__ X, real *__restrict__ Y) {}');
    // A reference with no tunables is replaced by the target's starter first.
    expect(tuneCuda(writeCtx(t, t.cuda!.referenceSource, 3))[0].description).toBe('tunable starter (BM=64 BN=64 BK=16 TM=4 TN=4)');
  });

  it('the static gate knows CUDA: runtime headers allowed, clocks, streams, events and managed memory refused', () => {
    expect(scanSource('#include <cuda_runtime.h>\n#include <cuda_fp16.h>\n__global__ void k() {}', 'cuda')).toBeUndefined();
    expect(scanSource('#include <cuda_runtime.h>\n', 'c')?.what).toMatch(/not on the header allow-list/);
    for (const bad of ['clock64()', 'cudaEventRecord(e)', 'cudaStreamCreate(&s)', 'cudaMallocManaged(&p, 4)', 'cudaGraphLaunch(g, 0)', 'asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t))'])
      expect(scanSource(`void f() { ${bad}; }`, 'cuda')?.line, bad).toBe(1);
  });

  it('the writer prompt on a GPU asks for CUDA in a cuda block, with the rules and the CUDA flags', () => {
    const t = loadTarget(join(CATALOG_DIR, 'softmax'));
    const w = loadWorkflow(DEFAULT_WORKFLOW);
    const text = w.prompts.writer!.render({ ...promptVars(writeCtx(t, t.cuda!.referenceSource)), plan: { bottleneck: 'memory', summary: 's', ideas: [] }, idea: { title: 'i', detail: 'd' }, feedback: '' });
    expect(text).toMatch(/Rewrite this CUDA C\+\+ kernel/);
    expect(text).toContain('```cuda\n/* Naive CUDA softmax');
    expect(text).toMatch(/launch on the default stream/);
    expect(promptVars(writeCtx(t, '')).target).toMatchObject({ allow: { flags: '--extra-device-vectorization -use_fast_math' } });
  });

  it('a target folder with a broken CUDA side is one line naming the key', () => {
    const d = tmp('kloop-cuda-target-');
    cpSync(join(CATALOG_DIR, 'sum'), d, { recursive: true });
    writeFileSync(join(d, 'reference.cu'), 'void total(int N, const real *X, real *S) {}\n');
    expect(() => loadTarget(d)).toThrow(/target\.yaml: cuda\.reference: .*does not define sum\(\)/);
    expect(loadTarget(join(CATALOG_DIR, 'jacobi')).cuda).toBeUndefined();
  });

  it('GPUs are read from nvidia-smi; a cuda.gpu that is not there is one line listing the ones that are', () => {
    // A stand-in nvidia-smi printing what the real one prints for this query on an H100 host.
    const bin = tmp('kloop-smi-');
    writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/sh\necho "0, NVIDIA H100 80GB HBM3, 9.0, 81559, 570.86.15"\n', { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    expect(listGpus(env).gpus).toEqual([{ index: 0, name: 'NVIDIA H100 80GB HBM3', computeCapability: '9.0', memoryMb: 81559, driver: '570.86.15' }]);
    expect(smArch('9.0')).toBe('sm_90');
    if (toolkit) expect(findGpu('WORKFLOW.md', 'device is cuda', 0, env).listing.name).toBe('NVIDIA H100 80GB HBM3');
    expect(() => findGpu('WORKFLOW.md', 'device is cuda', 1, env)).toThrow(/^WORKFLOW\.md: cuda\.gpu is 1 but this machine has GPU\(s\) 0 \(NVIDIA H100 80GB HBM3\); choose one of them$/);
  });

  it.skipIf(hasGpu)('a run with device: cuda on a machine without a GPU stops at start in one line', async () => {
    const w = loadWorkflow(DEFAULT_WORKFLOW);
    w.config.device = 'cuda';
    const cwd = tmp('kloop-cuda-run-');
    mkdirSync(join(cwd, 'runs'));
    const err = await createRun({ workflow: w, cwd, targets: ['sum'], sandbox: new ProcessSandbox() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/WORKFLOW\.md: device is cuda but this machine has no usable NVIDIA GPU \(.+\); run on a GPU host, or set device: cpu$/);
    expect((err as Error).message.split('\n')).toHaveLength(1);
  });
});
