import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCompiler } from '../devices/index.js';
import { bindPlan, buildPlan, checkPlan, PlanExecutor, timePlans, verifyPlan, withGpuKernels, writeWorkloadInputs, type Assignment, type CepDevice, type CepPlan } from '../plans/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { tmp } from './helpers.js';
import { cpuDescriptor, references, smallWorkload } from './plan-helpers.js';

/**
 * Plans across the CPU and a GPU, without a GPU: the same generated driver, GPU glue and CUDA
 * reference kernels built against kloop's CPU emulation of CUDA (buffers "in GPU memory", explicit
 * cudaMemcpy both ways, a launch check and a synchronize after every kernel).
 */
export const GPU_SMALL = `name: gpu-small
nodes:
  ln: { target: layernorm, sizes: { R: 8, C: 16 }, rows: R }
  mm: { target: sgemm, sizes: { M: 8, N: 8, K: 16 }, rows: M }
  st: { target: jacobi, sizes: { N: 6, M: 6 }, rows: N }
edges:
  - { from: ln.Y, to: mm.A }
  - { from: mm.C, to: st.U, reshape: true }
`;

describe('a plan across the CPU and an emulated GPU', () => {
  const w = smallWorkload(GPU_SMALL);
  const d = cpuDescriptor();
  const dir = tmp('kloop-plan-gpu-');
  const ex = new PlanExecutor({ sandbox: new ProcessSandbox(), compiler: detectCompiler(), cacheDir: join(dir, 'cache'), threads: 2, timeoutMs: 60_000, gpu: { emulated: true, cxx: detectCompiler().cxx } });
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
});
