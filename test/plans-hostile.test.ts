import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindPlan, buildPlan, checkPlan, HOSTILE_PLANS, verifyPlan, type Assignment } from '../plans/index.js';
import { tmp } from './helpers.js';
import { cpuDescriptor, executor, groups, references, smallWorkload } from './plan-helpers.js';

/** Expected refusals of the static check, per hostile plan. */
const STATIC: Record<string, RegExp> = {
  'dropped-slice': /node \w+: rows \d+\.\.\d+ along \w+ are run by no step \(a dropped slice\)/,
  'overlapping-slices': /node \w+: row \d+ along \w+ run by both .* \(overlapping slices\)/,
  'skipped-transfer': /reads \S+ rows? [\d.]+ on cpu-g\d, which no step writes there \(a skipped transfer/,
  'stale-read': /without waiting for .*, which writes them \(stale data: add ".*" to its after\)/,
  'short-transfer': /reads \S+ row \d+ on cpu-g\d, which no step writes there|never reaches the home device/,
  'wrong-device': /which no step writes there|written twice/,
  'output-left-away': /output \S+ rows? [\d.]+ never reaches the home device cpu-g0/,
  deadlock: /the steps wait on each other \(.*\): the plan would deadlock/,
};

describe('hostile plans are refused', () => {
  const w = smallWorkload();
  const d = cpuDescriptor();
  const dir = tmp();
  const ex = executor(dir);
  const kernels = references(w);
  // Every splittable node across both groups, the sum away from home: copies in both directions.
  const split: Assignment = w.nodes.map((n) =>
    n.rows
      ? [
          { device: 0, rows: [0, 4] },
          { device: 1, rows: [4, n.rows.extent] },
        ]
      : [{ device: 1, rows: [0, 1] }],
  );
  const good = buildPlan(w, groups(d), 0, split);

  it('the plan they are made from is valid', () => {
    expect(checkPlan(bindPlan(good, w, 'good'))).toMatchObject({ ok: true });
  });

  it.each(HOSTILE_PLANS.map((h) => [h.name, h] as const))('%s: refused by the static check, naming what is wrong', (name, h) => {
    const bad = h.mutate(good);
    expect(bad, `${name} applies to the plan`).toBeDefined();
    const v = checkPlan(bindPlan(bad!, w, name));
    expect(v.ok).toBe(false);
    expect((v as { reason: string }).reason).toMatch(STATIC[name]);
  });

  it.each(HOSTILE_PLANS.filter((h) => h.changes).map((h) => [h.name, h] as const))('%s: run without the static check, its outputs differ from the graph oracle, node and element named', async (name, h) => {
    const v = await verifyPlan(bindPlan(h.mutate(good)!, w, name), { executor: ex, kernels, dir: join(dir, name), seed: 7, unchecked: true });
    expect(v.ok).toBe(false);
    expect(v).toMatchObject({ stage: 'outputs' });
    expect((v as { reason: string }).reason).toMatch(/^node \w+ \(\w+\): \w+\.\w+\[[\d\]\[]+\] on cpu-g\d is NaN, expected [-\d.e]+ ± /);
  });

  it('a step listed before the copy it reads on its own device is a stale read, with the fix', () => {
    const copy = good.steps.findIndex((s) => s.op === 'copy' && good.steps.some((r, j) => j > good.steps.indexOf(s) && r.op === 'run' && r.device === s.device));
    const reader = good.steps.findIndex((r, j) => j > copy && r.op === 'run' && r.device === good.steps[copy].device);
    const steps = [...good.steps];
    const [moved] = steps.splice(reader, 1);
    steps.splice(copy, 0, moved);
    const v = checkPlan(bindPlan({ ...good, steps }, w, 'early'));
    expect(v.ok).toBe(false);
    expect((v as { reason: string }).reason).toMatch(/\(stale data: list it after ".*" on cpu-g\d\)|which no step writes there/);
  });

  it('a node that no step runs is refused', () => {
    const gone = good.steps.filter((s) => s.op === 'run' && s.node === 'tot').map((s) => s.id);
    const noRun = { ...good, steps: good.steps.filter((s) => !gone.includes(s.id)).map((s) => ({ ...s, after: s.after.filter((a) => !gone.includes(a)) })) };
    expect(checkPlan(bindPlan(noRun, w, 'no-run'))).toEqual({ ok: false, reason: 'node tot is run by no step' });
  });

  it('a kernel that computes something else is caught at its node, with the element (row 7 of the slice from row 4 is row 11)', async () => {
    const wrong = new Map(kernels);
    const mm = w.nodes.find((n) => n.name === 'mm')!.target;
    wrong.set(mm.name, { ...kernels.get(mm.name)!, source: mm.referenceSource.replace('C[i * N + j] = acc;', 'C[i * N + j] = i == 7 && j == 3 ? acc + 1 : acc;') });
    const v = await verifyPlan(bindPlan(good, w, 'good'), { executor: ex, kernels: wrong, dir: join(dir, 'wrong'), seed: 3 });
    expect(v).toMatchObject({ ok: false, stage: 'outputs', mismatch: { node: 'mm', array: 'mm.C', index: [11, 3], device: 'cpu-g1' } });
  });
});
