import { describe, expect, it } from 'vitest';
import { parseDescriptor } from '../devices/index.js';
import { describePlans } from '../cli/plan-command.js';
import { costModel, gp1, planWorkload, type CepDevice, type NodeKernel } from '../plans/index.js';
import { evalExpr } from '../targets/index.js';
import { resolveWorkload, workloadCatalogNames, type Workload } from '../workloads/index.js';
import { cpuDescriptor, references } from './plan-helpers.js';

/** OpenMP kernels as memory would hold them: measured at the bench size on the whole CPU at about a third of its fp32 roof. */
function parallelKernels(w: Workload): Map<string, NodeKernel> {
  return new Map(
    w.nodes.map((n) => {
      const t = n.target;
      const flops = evalExpr(t.flops, t.benchSize);
      return [t.name, { source: t.referenceSource, flags: ['-fopenmp'], origin: 'memory', verdict: 'tested', parallel: true, benchNs: Math.max(1e5, (3 * flops) / 122.4) }];
    }),
  );
}

describe('GP1, the built-in partitioner', () => {
  const d = cpuDescriptor();

  it.each(workloadCatalogNames())('%s: with parallel kernels on one CPU, it predicts that splitting into core groups does not win', (name) => {
    const w = resolveWorkload(name);
    const p = planWorkload({ workload: w, descriptor: d, kernels: parallelKernels(w), cores: [0, 1] });
    expect(p.sets.map((s) => s.set)).toEqual(['whole CPU', '2 core groups']);
    expect(p.best.set).toBe('whole CPU');
    expect(p.best.candidate.plan.steps.every((s) => s.device === 'cpu')).toBe(true);
    const groups = p.sets[1].candidate.sim.ms;
    expect(groups).toBeGreaterThanOrEqual(p.single.candidate.sim.ms * 0.999);
    expect(Object.values(p.best.candidate.plan.predicted!.sources)).toContain('memory');
  });

  it('with sequential references it splits rows across the core groups (each kernel uses one core) and says the figures are roofline estimates', () => {
    const w = resolveWorkload('mlp-block');
    const p = planWorkload({ workload: w, descriptor: d, kernels: references(w), cores: [0, 1] });
    expect(p.best.set).toBe('2 core groups');
    const ratio = p.single.candidate.sim.ms / p.best.candidate.sim.ms;
    expect(ratio).toBeGreaterThan(1.3);
    expect(ratio).toBeLessThan(2);
    expect(p.best.candidate.plan.steps.some((s) => s.op === 'run' && s.rows)).toBe(true);
    expect(new Set(Object.values(p.best.candidate.plan.predicted!.sources))).toEqual(new Set(['roofline']));
  });

  it('measured node times take precedence and are labelled so', () => {
    const w = resolveWorkload('attention-scores');
    const measured = new Map(w.nodes.map((n) => [n.name, 2e6]));
    const p = planWorkload({ workload: w, descriptor: d, kernels: references(w), measured, cores: [0, 1] });
    expect(p.single.candidate.plan.predicted!.sources).toEqual({ 'kt@cpu': 'measured', 'qk@cpu': 'measured', 'sm@cpu': 'measured', 'pv@cpu': 'measured' });
    // Four nodes of 2 ms each, one after another, plus the steps' fixed costs.
    expect(p.single.candidate.sim.ms).toBeGreaterThan(8);
    expect(p.single.candidate.sim.ms).toBeLessThan(8.2);
  });

  it('weighs a fast accelerator against its link: the heavy matrix products go there, the plan names both devices', () => {
    const w = resolveWorkload('mlp-block');
    const gpu = parseDescriptor(
      {
        ...cpuDescriptor('npu-1'),
        fingerprint: { ...cpuDescriptor().fingerprint, id: 'npu-1', kind: 'npu' },
        kind: 'npu',
        units: { count: 1, name: 'tiles' },
        peaks: { fp32: { one: 20000, all: 20000 } },
        memory: { levels: [{ name: 'HBM', bytes: 1e10, shared: true, gbs: { one: 2000, all: 2000 } }] },
        link: { gbs: 10, rttMs: 0.05, measuredAt: '2026-11-30T00:00:00Z' },
      },
      'npu',
    );
    const devices: CepDevice[] = [
      { name: 'cpu', acp: d.fingerprint.id, kind: 'cpu' },
      { name: 'npu', acp: 'npu-1', kind: 'npu', worker: 'w1' },
    ];
    const kernels = new Map([...references(w)].map(([k, v]) => [k, { ...v, parallel: true }]));
    const cost = costModel({
      devices,
      descriptors: new Map([
        [d.fingerprint.id, d],
        ['npu-1', gpu],
      ]),
      kernels,
    });
    const c = gp1(w, devices, 0, cost);
    const onNpu = c.plan.steps.filter((s) => s.op === 'run' && s.device === 'npu').map((s) => (s as { node: string }).node);
    expect(onNpu).toContain('up');
    expect(onNpu).toContain('down');
    expect(c.plan.steps.some((s) => s.op === 'copy' && s.from === 'npu' && s.device === 'cpu')).toBe(true);
    const allCpu = gp1(w, devices.slice(0, 1), 0, costModel({ devices: devices.slice(0, 1), descriptors: new Map([[d.fingerprint.id, d]]), kernels }));
    expect(c.sim.ms).toBeLessThan(allCpu.sim.ms);
  });

  it('kloop plan prints each device set, the choice and its steps with predicted times', () => {
    const w = resolveWorkload('mlp-block');
    const kernels = parallelKernels(w);
    const p = planWorkload({ workload: w, descriptor: d, kernels, cores: [0, 1] });
    const text = describePlans(w, { descriptor: d, kernels, executor: undefined as never }, p, 'plan.json');
    expect(text).toMatch(
      /^mlp-block on AMD EPYC 7B13 \(cpu-0123456789ab, 2 cores\)\n  kernels   layernorm: memory's best \(tested, -fopenmp\) · sgemm: memory's best \(tested, -fopenmp\)\n  whole CPU +[\d.]+ ms predicted \(GP1: 3 runs, 0 copies\)\n  2 core groups +[\d.]+ ms predicted/,
    );
    expect(text).toMatch(/  chosen    the whole CPU, [\d.]+ ms predicted: splitting into core groups is not predicted to win here \(node times: memory's measured time at the bench size, scaled\)/);
    expect(text).toMatch(/    cpu      run up +[\d.]+ -> [\d.]+ ms/);
    expect(text).toContain('written   plan.json (check it with kloop plan --check plan.json, run it with kloop plan --run plan.json)');
  });

  it('node times measured per device size: a slice takes its share, a group gets its share of DRAM when the groups run side by side', () => {
    const w = resolveWorkload('mlp-block');
    const up = w.nodes.find((n) => n.name === 'up')!;
    const devices: CepDevice[] = [
      { name: 'cpu-g0', acp: d.fingerprint.id, kind: 'cpu', cores: [0] },
      { name: 'cpu-g1', acp: d.fingerprint.id, kind: 'cpu', cores: [1] },
    ];
    const measuredByThreads = new Map([[1, new Map([['up', 4e6]])]]);
    const cost = costModel({ devices, descriptors: new Map([[d.fingerprint.id, d]]), kernels: references(w), measuredByThreads });
    const all = cost.run(up, 0, [0, 256]);
    const half = cost.run(up, 1, [128, 256]);
    expect(all.source).toBe('measured');
    expect(all.ms).toBeGreaterThanOrEqual(4);
    expect(half.ms).toBeCloseTo(all.ms / 2, 1);
  });
});
