import { describe, expect, it } from 'vitest';
import { chooseNodeKernels, costModel, linkFromTimes, planWorkload, withGpuKernels, type CepDevice } from '../plans/index.js';
import { LowdbStore } from '../memory/index.js';
import { resolveWorkload } from '../workloads/index.js';
import { cpuDescriptor, references, smallWorkload } from './plan-helpers.js';
import { GPU_SMALL, gpuDescriptor } from './gpu-plan-helpers.js';

describe('GP1 weighs a GPU only where one is given', () => {
  const d = cpuDescriptor();
  const g = gpuDescriptor();
  const gpu = { device: { name: 'gpu', acp: g.fingerprint.id, kind: 'cuda' } as CepDevice, descriptor: g };

  it('without a GPU no device set has one; with one, the CPU + GPU set is weighed and sgemm goes to the GPU (roofline, its copies costed and their source said)', async () => {
    const w = resolveWorkload('mlp-block');
    const kernels = await withGpuKernels(undefined, w, references(w), g.fingerprint.id);
    const cpuOnly = planWorkload({ workload: w, descriptor: d, kernels, cores: [0, 1] });
    expect(cpuOnly.sets.some((s) => s.devices.some((x) => x.kind === 'cuda'))).toBe(false);
    const p = planWorkload({ workload: w, descriptor: d, kernels, cores: [0, 1], gpu });
    const set = p.sets.find((s) => s.set === 'CPU + GPU')!;
    expect(set.devices.map((x) => x.name)).toEqual(['cpu', 'gpu']);
    const onGpu = set.candidate.plan.steps.filter((s) => s.op === 'run' && s.device === 'gpu').map((s) => (s as { node: string }).node);
    expect(onGpu).toEqual(expect.arrayContaining(['up', 'down']));
    expect(set.candidate.plan.predicted!.sources).toMatchObject({ 'up@gpu': 'roofline', 'copy:cpu->gpu': 'roofline', 'copy:gpu->cpu': 'roofline' });
    expect(p.best.set).toBe('CPU + GPU');
    expect(p.single.devices).toHaveLength(1); // the plan to beat stays the whole CPU
    // With the link and the nodes measured, the sources say so.
    const measured = planWorkload({
      workload: w,
      descriptor: d,
      kernels,
      cores: [0, 1],
      gpu: {
        ...gpu,
        measured: new Map([
          ['up', 2e5],
          ['down', 2e5],
          ['ln', 5e4],
        ]),
        link: { h2d: { gbs: 20, latencyMs: 0.01 }, d2h: { gbs: 20, latencyMs: 0.01 } },
      },
    });
    expect(measured.sets.find((s) => s.set === 'CPU + GPU')!.candidate.plan.predicted!.sources).toMatchObject({ 'up@gpu': 'measured', 'copy:cpu->gpu': 'measured' });
  });

  it('a node whose target has no CUDA kernel never runs on the GPU, however fast the GPU is', async () => {
    const w = smallWorkload(GPU_SMALL);
    const kernels = await withGpuKernels(undefined, w, references(w), g.fingerprint.id);
    const p = planWorkload({ workload: w, descriptor: d, kernels, cores: [0, 1], gpu });
    for (const s of p.sets) expect(s.candidate.plan.steps.some((x) => x.op === 'run' && x.node === 'st' && x.device === 'gpu')).toBe(false);
    const devices = [{ name: 'cpu', acp: d.fingerprint.id, kind: 'cpu' }, gpu.device];
    const cost = costModel({
      devices,
      descriptors: new Map([
        [d.fingerprint.id, d],
        [g.fingerprint.id, g],
      ]),
      kernels,
    });
    expect(
      cost.run(
        w.nodes.find((n) => n.name === 'st')!,
        1,
        [0, 6],
      ).ms,
    ).toBe(Infinity);
    expect(
      Number.isFinite(
        cost.run(
          w.nodes.find((n) => n.name === 'mm')!,
          1,
          [0, 8],
        ).ms,
      ),
    ).toBe(true);
  });

  it("a node's own target (a kernel kept at its sizes on the CPU) gets the GPU's kernel kept at those sizes, else the GPU's bench-size best without its time", async () => {
    const w = resolveWorkload('mlp-block');
    const up = w.nodes.find((n) => n.name === 'up')!;
    const memory = LowdbStore.memory();
    const kept = { source: 'void sgemm() {}', flags: [], vsReference: 2, verdict: 'tested', description: 'k', lineage: [], updatedAt: 'now' } as const;
    await memory.setBaseline({ ...kept, target: 'sgemm', fingerprint: d.fingerprint.id, size: up.sizes, medianNs: 1e6 });
    await memory.setBaseline({ ...kept, target: 'sgemm', fingerprint: g.fingerprint.id, source: '__global__ void bench() {}', medianNs: 3e6 });
    const view = await chooseNodeKernels(memory, w, d.fingerprint.id, references(w));
    const slot = view.workload.nodes.find((n) => n.name === 'up')!.target;
    expect(slot.name).toMatch(/^sgemm@/);
    const benchOnly = await withGpuKernels(memory, view.workload, view.kernels, g.fingerprint.id);
    expect(benchOnly.get(slot.name)!.gpu).toMatchObject({ origin: 'memory', source: '__global__ void bench() {}', benchNs: undefined });
    await memory.setBaseline({ ...kept, target: 'sgemm', fingerprint: g.fingerprint.id, size: up.sizes, source: '__global__ void node() {}', medianNs: 2e5 });
    const atNode = await withGpuKernels(memory, view.workload, view.kernels, g.fingerprint.id);
    expect(atNode.get(slot.name)!.gpu).toMatchObject({ origin: 'memory', source: '__global__ void node() {}', benchNs: 2e5 });
  });

  it('the link measurement: a fixed cost at 4 KiB, bandwidth from the difference to 64 MiB; nonsense is no link', () => {
    const l = linkFromTimes([10_000, 2_700_000, 12_000, 3_000_000])!;
    expect(l.h2d.latencyMs).toBeCloseTo(0.01);
    expect(l.h2d.gbs).toBeCloseTo(((64 << 20) - 4096) / 2_690_000, 3);
    expect(linkFromTimes([10_000, 5_000, 1, 2])).toBeUndefined();
    expect(linkFromTimes([1, 2, 3])).toBeUndefined();
  });
});
