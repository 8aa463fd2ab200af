import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { refuseMissingGpu } from '../cli/run-workloads.js';
import { UserError } from '../common/index.js';
import { detectCompiler, listGpus } from '../devices/index.js';
import { LowdbStore } from '../memory/index.js';
import { PlanExecutor, planRound, weighedGpu, withGpuKernels } from '../plans/index.js';
import { ProcessSandbox } from '../sandboxes/index.js';
import { DEFAULT_WORKFLOW, loadWorkflow } from '../workflow/index.js';
import { tmp } from './helpers.js';
import { GPU_SMALL, gpuDescriptor } from './gpu-plan-helpers.js';
import { cpuDescriptor, executor, references, smallWorkload } from './plan-helpers.js';

const noGpu = listGpus().gpus.length === 0;

/**
 * A plan round of kloop run --workload with this machine's GPU offered (here kloop's CPU emulation
 * of CUDA, with an H200's descriptor): GP1 weighs the CPU + GPU set as kloop plan does, its plan is
 * verified against the graph oracle like any other, and, emulated, never timed nor kept.
 */
describe('a plan round with a GPU offered', () => {
  const w = smallWorkload(GPU_SMALL);
  const d = cpuDescriptor('cpu-gpu-round', 2);
  const g = gpuDescriptor();
  const root = tmp('kloop-gpu-round-');
  const cpuEx = executor(root);
  const gpuEx = new PlanExecutor({ sandbox: new ProcessSandbox(), compiler: detectCompiler(), cacheDir: join(root, 'cache'), threads: 2, timeoutMs: 60_000, gpu: { emulated: true, cxx: detectCompiler().cxx } });
  // Node times as measured on the whole CPU, twice as long on one core: the core groups gain nothing,
  // and the GPU's roofline beats every node that has a CUDA kernel.
  const times = new Map(w.nodes.map((n) => [n.name, 20e6]));
  const measure = async () =>
    new Map([
      [2, times],
      [1, new Map([...times].map(([k, v]) => [k, 2 * v]))],
    ]);
  const round = async (memory: LowdbStore, withGpu: boolean) =>
    planRound({
      measure,
      workload: w,
      descriptor: d,
      kernels: withGpu ? await withGpuKernels(memory, w, references(w), g.fingerprint.id) : references(w),
      executor: cpuEx,
      memory,
      dir: tmp(),
      runId: 'run-gpu',
      minSpeedup: 0,
      pairs: 2,
      reps: 1,
      targetMs: 5,
      seed: 11,
      now: () => '2026-11-30T17:00:00Z',
      gpu: withGpu ? { device: { name: 'gpu', acp: g.fingerprint.id, kind: 'cuda' }, descriptor: g, executor: gpuEx } : undefined,
    });

  it('GP1 chooses the CPU + GPU plan; it is verified against the graph oracle, not timed and not kept, and the line says why', async () => {
    const memory = LowdbStore.memory();
    const r = await round(memory, true);
    expect(r.plans.sets.map((s) => s.set)).toContain('CPU + GPU');
    expect(r.set).toBe('CPU + GPU');
    const onGpu = r.chosen.plan.steps.filter((s) => s.op === 'run' && s.device === 'gpu').map((s) => (s as { node: string }).node);
    expect(onGpu.length).toBeGreaterThan(0);
    expect(onGpu).not.toContain('st'); // jacobi has no CUDA kernel
    expect(r.verdict, JSON.stringify(r.verdict)).toMatchObject({ ok: true });
    expect((r.verdict as { checked: string }).checked).toMatch(/equal the graph oracle/);
    expect(r.timing).toBeUndefined();
    expect(r.kept).toBeUndefined();
    expect(r.why).not.toContain('\n');
    expect(r.why).toMatch(/^not kept: CPU \+ GPU plan verified with GPU device gpu emulated on this CPU \([\d.]+ ms predicted\); not timed: GPU device gpu is emulated on the CPU, .*no plan is kept from it$/);
    expect(await memory.plans()).toEqual([]);
  }, 60_000);

  it('without a GPU the round is unchanged: no CPU + GPU set, the whole CPU kept as it was', async () => {
    const r = await round(LowdbStore.memory(), false);
    expect(r.plans.sets.map((s) => s.set)).toEqual(['whole CPU', '2 core groups']);
    expect(r.plans.sets.some((s) => s.devices.some((x) => x.kind === 'cuda'))).toBe(false);
    expect(r.why).toMatch(/^GP1 predicts no plan beats the single-device plan \(whole CPU [\d.]+ ms, 2 core groups [\d.]+ ms\): nothing to try$/);
  }, 60_000);
});

describe.skipIf(!noGpu)('the plan rounds on a machine without a GPU', () => {
  it('weigh no GPU and say nothing', async () => {
    const lines: string[] = [];
    const cwd = process.cwd();
    const dir = tmp('kloop-gpu-round-none-');
    process.chdir(dir);
    try {
      const w = smallWorkload(GPU_SMALL);
      const got = await weighedGpu({ workflow: loadWorkflow(DEFAULT_WORKFLOW), memory: LowdbStore.memory(), workload: w, cpu: { descriptor: cpuDescriptor(), kernels: references(w) }, measure: { dir }, note: (l) => lines.push(l) });
      expect(got).toBeUndefined();
      expect(lines).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('a workflow that asks for the GPU (device: cuda) is one line, as kloop run says it', () => {
    const dir = tmp('kloop-gpu-round-wf-');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'WORKFLOW.md'), '---\ndevice: cuda\n---\n');
    const workflow = loadWorkflow(join(dir, 'WORKFLOW.md'));
    expect(() => refuseMissingGpu(loadWorkflow(DEFAULT_WORKFLOW))).not.toThrow();
    let err: unknown;
    try {
      refuseMissingGpu(workflow);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message).toMatch(/WORKFLOW\.md: device is cuda but this machine has no usable NVIDIA GPU \(.*\); run on a GPU host, or set device: cpu$/);
  });
});
