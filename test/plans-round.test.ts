import { describe, expect, it } from 'vitest';
import { keptPlansList } from '../cli/plan-command.js';
import { LowdbStore } from '../memory/index.js';
import { planRecord, planRound, parsePlan, writePlanRecord } from '../plans/index.js';
import { plansSection } from '../report/index.js';
import { tmp } from './helpers.js';
import { cpuDescriptor, executor, references, smallWorkload } from './plan-helpers.js';

const MEDIUM = `name: medium
nodes:
  ln: { target: layernorm, sizes: { R: 64, C: 96 }, rows: R }
  up: { target: sgemm, sizes: { M: 64, N: 128, K: 96 }, rows: M }
  down: { target: sgemm, sizes: { M: 64, N: 96, K: 128 }, rows: M }
edges:
  - { from: ln.Y, to: up.A }
  - { from: up.C, to: down.A }
`;

/** A plan round as kloop run --workload runs one: measured node times, GP1, verification, interleaved timing, keep or not. */
describe('a plan round', () => {
  const w = smallWorkload(MEDIUM);
  const d = cpuDescriptor('cpu-round', 2);
  const ex = executor();
  // Node times as a quiet 2-core machine measures sequential references: the same on a core group alone as on the whole CPU.
  const times = new Map(w.nodes.map((n) => [n.name, n.flops / 2]));
  const measure = async () =>
    new Map([
      [2, times],
      [1, times],
    ]);
  const round = (memory: LowdbStore, minSpeedup: number) =>
    planRound({
      measure,
      workload: w,
      descriptor: d,
      kernels: references(w),
      executor: ex,
      memory,
      dir: tmp(),
      runId: 'run-1',
      minSpeedup,
      pairs: 2,
      reps: 1,
      targetMs: 5,
      seed: 9,
      now: () => '2026-11-30T07:00:00Z',
    });

  it('keeps a verified plan whose interval clears the bar, in memory, with what was measured', async () => {
    const memory = LowdbStore.memory();
    const r = await round(memory, 0);
    expect([...r.measured.keys()]).toEqual(['ln', 'up', 'down']);
    // Sequential references: each uses one core, so GP1 splits rows across the two core groups.
    expect(r.plans.best.set).toBe('2 core groups');
    expect(r.verdict).toMatchObject({ ok: true });
    expect(r.why).toMatch(/^kept: 2 core groups plan [\d.]+x \[95% CI \S+-\S+, 2 pairs\] over the single-device plan .*, verified$/);
    const kept = (await memory.getPlan('medium', 'cpu-round'))!;
    expect(kept).toMatchObject({ workload: 'medium', workloadHash: w.hash, runId: 'run-1', pairs: 2, at: '2026-11-30T07:00:00Z' });
    expect(kept.measuredMs).toBeGreaterThan(0);
    expect(kept.verification).toMatch(/equal the graph oracle/);
    expect(parsePlan(kept.plan, 'memory').devices.map((x) => x.name)).toEqual(['cpu-g0', 'cpu-g1']);

    // As kloop plan --kept lists it.
    const listed = keptPlansList(await memory.plans());
    expect(listed).toMatch(
      /^medium on cpu-g0, cpu-g1 \(cpu-round\), kept by run run-1 at 2026-11-30T07:00:00Z\n  [\d.]+x over the single-device plan \[95% CI \S+-\S+, 2 interleaved pairs\]: [\d.]+ ms against [\d.]+ ms, measured; [\d.]+ ms predicted by GP1\n  static check/,
    );
    expect(keptPlansList(await memory.plans(), 'other')).toMatch(/^no kept plans for other/);

    // As a run keeps it, and as its report shows it: the graph coloured by device, predicted against measured.
    const runDir = tmp();
    writePlanRecord(runDir, planRecord(w, r));
    const section = plansSection(runDir);
    expect(section.markdown.join('\n')).toMatch(/\| medium \| 2 core groups \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+x \| \S+–\S+ \(2 pairs\) \| verified: .* \| yes \|/);
    const svg = section.files['plan-medium.svg'];
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('>cpu-g0</text>');
    expect(svg).toContain('(2 slices)');
    expect(svg).toMatch(/predicted [\d.]+ ms \(single-device [\d.]+ ms\), measured [\d.]+ ms \(single-device [\d.]+ ms\); kept/);
  }, 60_000);

  it('keeps nothing when the interval does not clear the bar', async () => {
    const memory = LowdbStore.memory();
    const r = await round(memory, 1000);
    expect(r.why).toMatch(/^not kept: .* its interval does not clear accept\.min_speedup 1000$/);
    expect(await memory.plans()).toEqual([]);
  }, 60_000);
});
