import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCompiler, listGpus } from '../devices/index.js';
import { numbersAfter } from '../devices/harness-protocol.js';
import { composeDevice } from '../loop/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow } from '../workflow/index.js';
import { bindPlan, buildPlan, checkPlan, GPU_LINK_SOURCE, measureGpuLink, measureGpuNodes, PlanExecutor, timePlans, verifyPlan, withGpuKernels, writeWorkloadInputs, type Assignment, type CepDevice, type CepPlan } from '../plans/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { kloop, tmp } from './helpers.js';
import { GPU_SMALL } from './gpu-plan-helpers.js';
import { cpuDescriptor, references, smallWorkload, storeCpuProfile } from './plan-helpers.js';

const root = tmp('kloop-plan-gpu-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Plans across the CPU and a GPU, without a GPU: the same generated driver, GPU glue and CUDA
 * reference kernels built against kloop's CPU emulation of CUDA (buffers "in GPU memory", explicit
 * cudaMemcpy both ways, a launch check and a synchronize after every kernel).
 */
describe('a plan across the CPU and an emulated GPU', () => {
  const w = smallWorkload(GPU_SMALL);
  const d = cpuDescriptor();
  const dir = join(root, 'work');
  // The CLI's build cache (runs/.cache/plans under its folder): the CLI test below finds these builds there.
  const ex = new PlanExecutor({ sandbox: new ProcessSandbox(), compiler: detectCompiler(), cacheDir: join(root, 'runs', '.cache', 'plans'), threads: 2, timeoutMs: 60_000, gpu: { emulated: true, cxx: detectCompiler().cxx } });
  const devices: CepDevice[] = [
    { name: 'cpu', acp: d.fingerprint.id, kind: 'cpu' },
    { name: 'gpu', acp: 'cuda-0123456789ab', kind: 'cuda' },
  ];
  // ln on the GPU, mm split (rows 0-4 on the GPU, 4-8 on the CPU), jacobi (no CUDA kernel) on the CPU.
  const split: Assignment = [
    [{ device: 1, rows: [0, 8] }],
    [
      { device: 1, rows: [0, 4] },
      { device: 0, rows: [4, 8] },
    ],
    [{ device: 0, rows: [0, 6] }],
  ];
  const plan = buildPlan(w, devices, 0, split);
  const kernels = withGpuKernels(undefined, w, references(w), 'cuda-0123456789ab');

  it('runs each node where the plan says, copies through cudaMemcpy, and equals the graph oracle on every device', async () => {
    const k = await kernels;
    expect(k.get('sgemm')!.gpu).toMatchObject({ origin: 'reference' });
    expect(k.get('jacobi')!.gpu).toBeUndefined();
    const b = bindPlan(plan, w, 'cpu+gpu');
    expect(checkPlan(b).ok).toBe(true);
    const toGpu = b.steps.filter((s) => s.op === 'copy' && s.device === 1);
    const fromGpu = b.steps.filter((s) => s.op === 'copy' && s.from === 1);
    expect(toGpu.length).toBeGreaterThan(0);
    expect(fromGpu.length).toBeGreaterThan(0);
    const v = await verifyPlan(b, { executor: ex, kernels: k, dir: join(dir, 'ok'), seed: 3 });
    expect(v, JSON.stringify(v)).toMatchObject({ ok: true });
    const driver = readFileSync(join(dir, 'ok', 'check', 'plan.c'), 'utf8');
    expect(driver).toMatch(/kl_gpu_copy\(buf\[1\]\[\d+\] .*, 1\)/); // host to GPU
    expect(driver).toMatch(/kl_gpu_copy\(buf\[0\]\[\d+\] .*, 2\)/); // GPU to host
    expect(driver).toMatch(/kl_c\d+\(.*\); kl_gpu_sync\("running step mm@gpu:0-4 on the GPU"\)/);
  }, 60_000);

  it('timing under the emulation is refused: its times say nothing about a GPU', async () => {
    const k = await kernels;
    const b = bindPlan(plan, w, 'cpu+gpu');
    const v = checkPlan(b);
    const built = await ex.build(b, k, v.ok ? v.order : [], join(dir, 'timed'));
    expect(built.ok).toBe(true);
    const input = join(dir, 'timed', 'in.bin');
    writeWorkloadInputs(w, 4, input);
    await expect(timePlans({ executor: ex, dir: join(dir, 'timed'), input, oracleOut: input, pairs: 1, reps: 1 }, [{ bound: b, binary: (built as { binary: string }).binary }])).rejects.toThrow(
      /refusing to time .* GPU device gpu is emulated on the CPU/,
    );
  }, 60_000);

  it('a copy to the GPU left out, and a read of GPU rows before the GPU wrote them, are caught by the execution alone', async () => {
    const k = await kernels;
    const without = (p: CepPlan, id: string): CepPlan => ({ ...p, steps: p.steps.filter((s) => s.id !== id).map((s) => ({ ...s, after: s.after.filter((a) => a !== id) })) });
    // mm's B never reaches the GPU: its rows there compute from NaN.
    const skip = plan.steps.find((s) => s.op === 'copy' && s.device === 'gpu' && s.array === 'mm.B')!;
    const skipped = bindPlan(without(plan, skip.id), w, 'skipped');
    expect(checkPlan(skipped).ok).toBe(false);
    const v1 = await verifyPlan(skipped, { executor: ex, kernels: k, dir: join(dir, 'skipped'), seed: 5, unchecked: true });
    // (the GPU's wrong rows reach the CPU too: the comparison names the first device in plan order)
    expect(v1).toMatchObject({ ok: false, stage: 'outputs', mismatch: { node: 'mm', array: 'mm.C' } });
    // ln.Y rows 4-8 copied to the CPU without waiting for ln on the GPU: the CPU's mm rows read NaN.
    const stale = structuredClone(plan);
    const c = stale.steps.find((s) => s.op === 'copy' && s.from === 'gpu' && s.array === 'ln.Y')!;
    c.after = [];
    const b2 = bindPlan(stale, w, 'stale');
    expect(checkPlan(b2).ok).toBe(false);
    const v2 = await verifyPlan(b2, { executor: ex, kernels: k, dir: join(dir, 'stale'), seed: 6, unchecked: true });
    expect(v2).toMatchObject({ ok: false, stage: 'outputs', mismatch: { node: 'ln', device: 'cpu' } });
  }, 60_000);

  it('a node whose target has no CUDA kernel does not build on the GPU (a verdict, not a crash)', async () => {
    const k = await kernels;
    const onGpu = buildPlan(w, devices, 0, [[{ device: 0, rows: [0, 8] }], [{ device: 0, rows: [0, 8] }], [{ device: 1, rows: [0, 6] }]]);
    const v = await verifyPlan(bindPlan(onGpu, w, 'jacobi on gpu'), { executor: ex, kernels: k, dir: join(dir, 'nocuda'), seed: 7 });
    expect(v).toMatchObject({ ok: false, stage: 'build' });
    expect((v as { reason: string }).reason).toMatch(/target jacobi has no CUDA kernel/);
  }, 60_000);

  it('the copy measurement and the GPU node measurement: their programs run under the emulation, but no figure comes from it', async () => {
    const k = await kernels;
    const prog = await ex.gpuProgram(GPU_LINK_SOURCE, join(dir, 'link'));
    expect(prog.ok, prog.ok ? '' : prog.log).toBe(true);
    const r = await ex.run((prog as { binary: string }).binary, [], join(dir, 'link'));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(numbersAfter('KLOOP_LINK_NS', r.stdout)).toHaveLength(4);
    await expect(measureGpuLink(ex, dir)).rejects.toThrow(/refusing to measure copies to an emulated GPU/);
    const input = join(dir, 'link', 'in.bin');
    writeWorkloadInputs(w, 8, input);
    await expect(measureGpuNodes({ executor: ex, kernels: k, workload: w, cpu: devices[0], gpu: devices[1], dir: join(dir, 'link'), input, reps: 1 })).rejects.toThrow(/refusing to time/);
  }, 60_000);
});

/** Through the built CLI (dist/): a plan file with a GPU device on a machine without one. */
describe('kloop plan --run FILE with a GPU device', () => {
  const dir = root;
  const memory = join(dir, 'memory.json');
  const workload = join(dir, 'gpu-small');
  let plan: CepPlan;

  beforeAll(async () => {
    mkdirSync(workload);
    writeFileSync(join(workload, 'workload.yaml'), GPU_SMALL);
    await storeCpuProfile(memory, join(dir, 'cache'));
    const fp = await composeDevice({ workflow: loadWorkflow(DEFAULT_WORKFLOW), sandbox: new ProcessSandbox(), cacheDir: join(dir, 'cache'), kind: 'cpu' }).device.fingerprint();
    const w = smallWorkload(GPU_SMALL);
    const devices: CepDevice[] = [
      { name: 'cpu', acp: fp.id, kind: 'cpu' },
      { name: 'gpu', acp: 'cuda-0123456789ab', kind: 'cuda' },
    ];
    plan = buildPlan(w, devices, 0, [
      [{ device: 1, rows: [0, 8] }],
      [
        { device: 0, rows: [0, 4] },
        { device: 1, rows: [4, 8] },
      ],
      [{ device: 0, rows: [0, 6] }],
    ]);
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
  });
  it.skipIf(listGpus().gpus.length > 0)('without a GPU: one line, exit 2, nothing run', () => {
    const r = kloop(dir, ['plan', '--run', join(dir, 'plan.json'), '--workload', workload, '--memory', memory]);
    expect(r.code, r.out).toBe(2);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    expect(r.out).toMatch(/^kloop: .*plan\.json: plan device gpu is a GPU \(cuda\) but this machine has no usable NVIDIA GPU \(.*\); run on a GPU host, or check its logic on the CPU with --emulate-gpu/);
  });

  it('--emulate-gpu verifies the plan against the graph oracle and says why it is not timed; a node without a CUDA kernel on the GPU is one line', () => {
    const r = kloop(dir, ['plan', '--run', join(dir, 'plan.json'), '--workload', workload, '--memory', memory, '--emulate-gpu']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/verified with GPU device gpu emulated on this CPU .*: static check .* equal the graph oracle .*; on gpu: layernorm: reference\.cu · sgemm: reference\.cu/);
    expect(r.out).toMatch(/not timed: GPU device gpu is emulated on the CPU/);
    expect(r.out).not.toMatch(/measured:/);
    const bad = buildPlan(smallWorkload(GPU_SMALL), plan.devices, 0, [[{ device: 0, rows: [0, 8] }], [{ device: 0, rows: [0, 8] }], [{ device: 1, rows: [0, 6] }]]);
    const st = bad.steps.findIndex((s) => s.op === 'run' && s.node === 'st');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const b = kloop(dir, ['plan', '--run', join(dir, 'bad.json'), '--workload', workload, '--memory', memory, '--emulate-gpu']);
    expect(b.code, b.out).toBe(2);
    expect(b.out.trim().split('\n')).toHaveLength(1);
    expect(b.out).toContain(`bad.json: steps[${st}]: node st runs on GPU device gpu, but target jacobi has no CUDA kernel (no reference.cu); run it on the CPU`);
  }, 60_000);
});
