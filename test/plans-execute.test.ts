import { referenceKey } from '../loop/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LowdbStore } from '../memory/index.js';
import { bindPlan, buildPlan, checkPlan, chooseKernels, compareOutputs, verifyPlan, writeWorkloadInputs, type Assignment } from '../plans/index.js';
import { numbersAfter } from '../devices/harness-protocol.js';
import { cpuDescriptor, executor, groups, references, smallWorkload, whole } from './plan-helpers.js';
import { tmp } from './helpers.js';

describe('the executor runs plans for real', () => {
  const w = smallWorkload();
  const d = cpuDescriptor();
  const dir = tmp();
  const ex = executor(dir);
  const kernels = references(w);

  it('a plan on the whole CPU and a split across two core groups both equal the graph oracle', async () => {
    const one = bindPlan(
      buildPlan(
        w,
        whole(d),
        0,
        w.nodes.map((n) => [{ device: 0, rows: [0, n.rows?.extent ?? 1] }]),
      ),
      w,
      'one',
    );
    const v1 = await verifyPlan(one, { executor: ex, kernels, dir: join(dir, 'one'), seed: 1 });
    expect(v1).toMatchObject({ ok: true });
    const split: Assignment = w.nodes.map((n) =>
      n.rows
        ? [
            { device: 0, rows: [0, 5] },
            { device: 1, rows: [5, n.rows.extent] },
          ]
        : [{ device: 1, rows: [0, 1] }],
    );
    const two = bindPlan(buildPlan(w, groups(d), 0, split), w, 'two');
    expect(checkPlan(two).ok).toBe(true);
    expect(two.steps.some((s) => s.op === 'copy')).toBe(true);
    const v2 = await verifyPlan(two, { executor: ex, kernels, dir: join(dir, 'two'), seed: 2 });
    expect(v2).toMatchObject({ ok: true });

    // Timed: threads pinned per core group, outputs still equal.
    const order = checkPlan(two);
    const prog = await ex.build(two, kernels, order.ok ? order.order : [], join(dir, 'timed'));
    expect(prog.ok).toBe(true);
    writeWorkloadInputs(w, 2, join(dir, 'in.bin'));
    const r = await ex.run((prog as { binary: string }).binary, ['time', join(dir, 'in.bin'), join(dir, 'timed.out'), '3'], dir);
    expect(r.exitCode).toBe(0);
    expect(numbersAfter('KLOOP_PLAN_NS', r.stdout)).toHaveLength(3);
    expect(numbersAfter('KLOOP_STEP_NS', r.stdout)).toHaveLength(two.steps.length);
    expect(compareOutputs(two, readFileSync(join(dir, 'timed.out')), readFileSync(join(dir, 'two', 'oracle.out')))).toMatchObject({ ok: true });
  });
});

describe('slices across a reshape and a halo', () => {
  it('a consumer split along rows of another width reads the producer rows its elements fall in, and still equals the oracle', async () => {
    const w = smallWorkload(`name: reshaped
nodes:
  a: { target: softmax, sizes: { R: 6, C: 10 }, rows: R }
  b: { target: softmax, sizes: { R: 15, C: 4 }, rows: R }
  c: { target: jacobi, sizes: { N: 13, M: 2 }, rows: N }
edges:
  - { from: a.Y, to: b.X, reshape: true }
  - { from: b.Y, to: c.U, reshape: true }
`);
    const d = cpuDescriptor();
    const dir = tmp();
    // b's rows 0..6 of width 4 are elements 0..27: a's rows 0..2 (width 10); c's halo reads two rows past its slice.
    const split: Assignment = [
      [{ device: 0, rows: [0, 6] }],
      [
        { device: 1, rows: [0, 7] },
        { device: 0, rows: [7, 15] },
      ],
      [
        { device: 0, rows: [0, 5] },
        { device: 1, rows: [5, 13] },
      ],
    ];
    const b = bindPlan(buildPlan(w, groups(d), 0, split), w, 'reshaped');
    const copyA = b.steps.find((s) => s.op === 'copy' && s.array!.id === 'a.Y' && s.device === 1)!;
    expect(copyA.rows).toEqual([0, 3]);
    const run = b.steps.find((s) => s.op === 'run' && s.node!.name === 'c' && s.device === 1)!;
    expect(run.reads[0]).toMatchObject({ lo: (5 * 2 * 2) / 4, hi: ((13 + 2) * 2 * 2) / 4 });
    expect(await verifyPlan(b, { executor: executor(dir), kernels: references(w), dir, seed: 5 })).toMatchObject({ ok: true });
  });
});

describe('the kernels a plan runs', () => {
  it("uses memory's best verified kernel for the target and device class, else the reference; an OpenMP kernel runs in its core group", async () => {
    const w = smallWorkload();
    const memory = LowdbStore.memory();
    const mm = w.nodes.find((n) => n.name === 'mm')!.target;
    const omp = mm.referenceSource.replace('for (int i = 0; i < M; i++) {', '#pragma omp parallel for\n  for (int i = 0; i < M; i++) {');
    await memory.setBaseline({ target: 'sgemm', fingerprint: 'cpu-k', source: omp, flags: ['-fopenmp'], vsReference: 1.9, medianNs: 5e6, verdict: 'tested', description: 'rows in parallel', lineage: [], updatedAt: 'now' });
    await memory.setBaseline({ target: 'softmax', fingerprint: 'cpu-k', source: 'void softmax() {}', flags: [], vsReference: 1, verdict: 'reference', description: 'the reference', lineage: [], updatedAt: 'now' });
    await memory.setBaseline({ target: 'sum', fingerprint: 'cpu-other', source: 'void sum() {}', flags: [], vsReference: 3, verdict: 'proved', description: 'another machine', lineage: [], updatedAt: 'now' });
    // A reference's time, under the key a run stores it (the target at its bench size).
    const softmax = w.nodes.find((n) => n.target.name === 'softmax')!.target;
    await memory.setReferenceNs(referenceKey(softmax), 'cpu-k', 7e6);
    const kernels = await chooseKernels(memory, w, 'cpu-k');
    expect(kernels.get('sgemm')).toMatchObject({ origin: 'memory', verdict: 'tested', parallel: true, benchNs: 5e6, flags: ['-fopenmp'] });
    expect(kernels.get('softmax')).toMatchObject({ origin: 'reference', benchNs: 7e6 });
    for (const t of ['softmax', 'sum', 'layernorm', 'jacobi']) expect(kernels.get(t)).toMatchObject({ origin: 'reference', parallel: false });
    const d = cpuDescriptor();
    const split: Assignment = w.nodes.map((n) =>
      n.rows
        ? [
            { device: 0, rows: [0, 5] },
            { device: 1, rows: [5, n.rows.extent] },
          ]
        : [{ device: 0, rows: [0, 1] }],
    );
    const dir = tmp();
    expect(await verifyPlan(bindPlan(buildPlan(w, groups(d), 0, split), w, 'omp'), { executor: executor(dir), kernels, dir, seed: 4 })).toMatchObject({ ok: true });
  });
});
