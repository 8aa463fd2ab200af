import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workloadSessions } from '../cli/run-workloads.js';
import { BuiltinAnalyzer, BuiltinProfiler, oneShotSessions, type Draft, type WriteContext, type Writer } from '../agents/index.js';
import { composeVerifier, createRun, Runner, type KloopEvent } from '../loop/index.js';
import { FileStore, LowdbStore, type Baseline } from '../memory/index.js';
import { bindPlan, buildPlan, chooseNodeKernels, kernelLines, planWorkload, singleDevicePlan, verifyPlan, type NodeKernel } from '../plans/index.js';
import { atSizes, loadTarget, type Target } from '../targets/index.js';
import { loadWorkflow } from '../workflow/index.js';
import { cpuDevice, kloop, tmp } from './helpers.js';
import { keptKernelsList } from '../cli/memory-command.js';
import { commitMessage } from '../review/index.js';
import { cpuDescriptor, executor, groups, references, smallWorkload, storeCpuProfile } from './plan-helpers.js';

/** Two nodes of one target at different sizes (sgemm 24x48x64, then 24x32x48 on its output). */
const TWO_SIZES = `name: two-sizes
nodes:
  a: { target: sgemm, sizes: { M: 24, N: 48, K: 64 }, rows: M }
  b: { target: sgemm, sizes: { M: 24, N: 32, K: 48 }, rows: M }
edges:
  - { from: a.C, to: b.A }
`;

/** sgemm in i-k-j order: the same sums in the same order per element, vectorisable over j. */
const IKJ = `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < N; j++) C[i * N + j] = 0;
    for (int k = 0; k < K; k++) {
      real a = A[i * K + k];
      for (int j = 0; j < N; j++) C[i * N + j] += a * B[k * N + j];
    }
  }
}
`;

/** Right only where N is 32 and K is 48 (node b's, any M): garbage anywhere else. */
const ONLY_B = IKJ.replace('for (int i = 0', 'if (N != 32 || K != 48) { for (int i = 0; i < M * N; i++) C[i] = 7; return; }\n  for (int i = 0');

const baseline = (source: string, size?: Record<string, number>): Baseline => ({
  target: 'sgemm',
  fingerprint: 'cpu-sizes',
  source,
  flags: [],
  vsReference: 3,
  verdict: 'tested',
  description: 'i-k-j',
  lineage: [],
  updatedAt: '2026-11-30T08:00:00Z',
  ...(size ? { size } : {}),
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('kernels tuned at the workload node sizes', () => {
  it('memory keeps one best per (target, fingerprint, size), beside the bench-size best, and reads files written before sizes', async () => {
    const dir = tmp();
    dirs.push(dir);
    // A memory folder as kloop wrote it before: a baseline with no size is the bench size's.
    mkdirSync(join(dir, 'memory'));
    writeFileSync(join(dir, 'memory', 'state.json'), JSON.stringify({ version: 2, baselines: [baseline(IKJ)], profiles: [], referenceNs: { 'sgemm@M=1024,N=1024,K=1024|cpu-sizes': 5e8 } }));
    // And a legacy memory.json next to another folder: imported, nothing lost.
    writeFileSync(join(dir, 'old.json'), JSON.stringify({ baselines: [{ ...baseline(IKJ), target: 'sum' }], insights: [], profiles: [], tried: {}, referenceNs: {}, winners: [], reviews: [] }));
    for (const m of [new FileStore(join(dir, 'memory')), FileStore.open(join(dir, 'old.json')), LowdbStore.memory()]) {
      const t = (await m.getBaseline('sum', 'cpu-sizes')) ? 'sum' : 'sgemm';
      if (m instanceof LowdbStore) await m.setBaseline(baseline(IKJ));
      expect((await m.getBaseline(t, 'cpu-sizes'))?.source).toBe(IKJ);
      expect(await m.getBaseline(t, 'cpu-sizes', { M: 24, N: 32, K: 48 })).toBeUndefined();
      await m.setBaseline({ ...baseline(ONLY_B, { M: 24, N: 32, K: 48 }), target: t });
      await m.setBaseline({ ...baseline(IKJ, { K: 64, M: 24, N: 48 }), target: t, vsReference: 4 });
      await m.setBaseline({ ...baseline(IKJ, { M: 24, N: 48, K: 64 }), target: t, vsReference: 5 }); // the same size, written in another order: replaces
      expect((await m.getBaseline(t, 'cpu-sizes'))?.source).toBe(IKJ);
      expect((await m.getBaseline(t, 'cpu-sizes', { N: 32, M: 24, K: 48 }))?.source).toBe(ONLY_B);
      expect((await m.baselines({ target: t })).map((b) => [b.size ?? 'bench', b.vsReference])).toEqual([
        ['bench', 3],
        [{ M: 24, N: 32, K: 48 }, 3],
        [{ M: 24, N: 48, K: 64 }, 5],
      ]);
    }
    expect(await new FileStore(join(dir, 'memory')).getReferenceNs('sgemm@M=1024,N=1024,K=1024', 'cpu-sizes')).toBe(5e8);
    // kloop memory lists each with the size it was tuned at.
    const listed = kloop(dir, ['memory', '--memory', join(dir, 'memory.json'), '--target', 'sgemm']);
    expect(listed.code, listed.out).toBe(0);
    expect(listed.out.split('\n').filter((l) => !l.startsWith('  '))).toEqual([
      'sgemm on cpu-sizes, tuned at the bench size: reference [tested]',
      "sgemm on cpu-sizes, tuned at M=24,N=32,K=48 (a workload node's sizes): reference [tested]",
      "sgemm on cpu-sizes, tuned at M=24,N=48,K=64 (a workload node's sizes): reference [tested]",
      '',
    ]);
    expect(keptKernelsList([], 'sum')).toMatch(/^no kept kernels for sum/);
  });

  it('a session per (target, node sizes): timed at the node sizes, checked at the check sizes and those', () => {
    const w = smallWorkload(TWO_SIZES);
    const sessions = workloadSessions([w, w]);
    expect(sessions.map((s) => [s.name, s.sizes, s.nodes.length])).toEqual([
      ['sgemm@M=24,N=48,K=64', { M: 24, N: 48, K: 64 }, 2],
      ['sgemm@M=24,N=32,K=48', { M: 24, N: 32, K: 48 }, 2],
    ]);
    const t = atSizes(w.nodes[1].target, w.nodes[1].sizes);
    expect(t).toMatchObject({ name: 'sgemm@M=24,N=32,K=48', benchSize: { M: 24, N: 32, K: 48 }, session: { target: 'sgemm', size: { M: 24, N: 32, K: 48 } } });
    expect(t.checkSizes).toEqual([...w.nodes[1].target.checkSizes, { M: 24, N: 32, K: 48 }]);
    // At the bench size it is the target itself: a plain run's session.
    expect(atSizes(w.nodes[1].target, { M: 1024, N: 1024, K: 1024 })).toBe(w.nodes[1].target);
  });

  it('binds each node to the kernel kept at its own sizes, says so, and the plan verifies; a kernel bound at sizes it was not kept at is caught', async () => {
    const w = smallWorkload(TWO_SIZES);
    const memory = LowdbStore.memory();
    await memory.setBaseline(baseline(IKJ));
    await memory.setBaseline(baseline(ONLY_B, { M: 24, N: 32, K: 48 }));
    const base = new Map<string, NodeKernel>([['sgemm', { source: IKJ, flags: [], origin: 'memory', verdict: 'tested', parallel: false, benchNs: 1e8 }]]);
    const nk = await chooseNodeKernels(memory, w, 'cpu-sizes', base);
    expect(nk.workload.nodes.map((n) => [n.name, n.target.name, n.kernel])).toEqual([
      ['a', 'sgemm', 'bench-size'],
      ['b', 'sgemm@M=24,N=32,K=48', 'node-size'],
    ]);
    expect(nk.kernels.get('sgemm@M=24,N=32,K=48')).toMatchObject({ source: ONLY_B, origin: 'memory', benchNs: undefined });
    expect(kernelLines(nk)).toEqual([
      "a (sgemm M=24,N=48,K=64): memory's best at the bench size (checked at this node's sizes by the plan's CEP verification) (tuned at M=1024,N=1024,K=1024), tested",
      "b (sgemm M=24,N=32,K=48): memory's best at this node's sizes, tested",
    ]);
    const d = cpuDescriptor('cpu-sizes', 2);
    const plans = planWorkload({ workload: nk.workload, descriptor: d, kernels: nk.kernels });
    expect(plans.best.candidate.plan.predicted?.kernels).toEqual({ a: 'bench-size', b: 'node-size' });
    // Without a node-size kernel nothing changes: the workload's own targets, and no kernels in the plan.
    const plain = await chooseNodeKernels(LowdbStore.memory(), w, 'cpu-sizes', references(w));
    expect(plain.workload.nodes.map((n) => [n.target.name, n.kernel])).toEqual([
      ['sgemm', 'reference'],
      ['sgemm', 'reference'],
    ]);

    // The program runs each node's own kernel: the whole CPU and rows split across core groups equal the graph oracle.
    const ex = executor();
    const dir = tmp();
    dirs.push(dir);
    const split = bindPlan(
      buildPlan(nk.workload, groups(d), 0, [
        [
          { device: 0, rows: [0, 12] },
          { device: 1, rows: [12, 24] },
        ],
        [
          { device: 0, rows: [0, 10] },
          { device: 1, rows: [10, 24] },
        ],
      ]),
      nk.workload,
      'test',
    );
    for (const [i, b] of [singleDevicePlan(nk.workload, d), split].entries()) expect(await verifyPlan(b, { executor: ex, kernels: nk.kernels, dir: join(dir, `ok-${i}`), seed: 3 })).toMatchObject({ ok: true });
    // Fail closed: the same kernel bound to node a (not its sizes) changes a's results, and verification names the node.
    const wrong = new Map([...nk.kernels, ['sgemm', nk.kernels.get('sgemm@M=24,N=32,K=48')!]]);
    const v = await verifyPlan(singleDevicePlan(nk.workload, d), { executor: ex, kernels: wrong, dir: join(dir, 'wrong'), seed: 3 });
    expect(v.ok).toBe(false);
    expect(v.ok ? '' : v.reason).toMatch(/^node a \(sgemm\): a\.C\[/);
  }, 60_000);
});

/** Two independent sums of different lengths (a workload input each). */
const TWO_SUMS = `name: two-sums
nodes:
  long: { target: sum, sizes: { N: 240000 } }
  short: { target: sum, sizes: { N: 80000 } }
`;

/** sum over eight accumulators (sum allows reassociation): vectorisable. */
const EIGHT = `void sum(int N, const real *X, real *S) {
  real a[8] = {0};
  int i = 0;
  for (; i + 8 <= N; i += 8)
    for (int j = 0; j < 8; j++) a[j] += X[i + j];
  real s = 0;
  for (int j = 0; j < 8; j++) s += a[j];
  for (; i < N; i++) s += X[i];
  S[0] = s;
}
`;

/** A writer with one idea: eight accumulators. */
class EightWriter implements Writer {
  readonly name = 'eight';
  readonly asked: Target[] = [];
  async sessions(ctx: WriteContext) {
    this.asked.push(ctx.target);
    return oneShotSessions([{ source: EIGHT, flags: [], description: 'eight accumulators', kinds: ['accumulators'] } as Draft]);
  }
}

describe('a workload run tunes each (target, node sizes) as a session of its own', () => {
  it('two sum nodes of different sizes: two sessions, two bests kept with their sizes, none at the bench size; --resume keeps the sessions', async () => {
    const dir = tmp('kloop-sizes-');
    dirs.push(dir);
    const w = smallWorkload(TWO_SUMS);
    writeFileSync(join(dir, 'WORKFLOW.md'), '---\n{}\n---\n');
    const wf = loadWorkflow(join(dir, 'WORKFLOW.md'));
    const device = cpuDevice(dir);
    const writer = new EightWriter();
    await storeCpuProfile(join(dir, 'memory.json'), join(dir, 'cache')); // HP1 measured already, as a run leaves it
    const memory = FileStore.open(join(dir, 'memory.json'));
    const events: KloopEvent[] = [];
    const sessions = workloadSessions([w]);
    const targets = sessions.map((s) => atSizes(loadTarget(s.dir), s.sizes!));
    const summary = await new Runner({
      runsDir: join(dir, 'runs'),
      targets,
      device,
      verifier: composeVerifier(wf, device),
      memory,
      profiler: new BuiltinProfiler(),
      analyzer: new BuiltinAnalyzer(),
      writer,
      cores: 2,
      weights: { 'sum@N=240000': 0.8, 'sum@N=80000': 0.2 },
      timing: { minPairs: 5, maxPairs: 11, minMs: 10, maxReps: 50, minSpeedup: 1.02 }, // sizes and pairs enough that the noise of a loaded machine cannot sink a 1.5-2x speedup (at N = 4000 and 3 pairs it did)
      options: { targets: targets.map((t) => t.dir), sizes: targets.map((t) => t.session!.size), workflowFile: wf.file, rounds: 1, noImprovementRounds: 2, candidates: 1, pipeline: 2 },
      onEvent: (e) => events.push(e),
    }).run();
    expect(sessions.map((s) => s.name)).toEqual(['sum@N=240000', 'sum@N=80000']);
    expect(summary.perTarget.map((p) => [p.target, p.keeps])).toEqual([
      ['sum@N=240000', 1],
      ['sum@N=80000', 1],
    ]);
    // Each session's writer saw its node's sizes as the bench size; PO1 weighed each by its node's share.
    expect(writer.asked.map((t) => t.benchSize.N).sort()).toEqual([240000, 80000]);
    const decisions = events.filter((e): e is Extract<KloopEvent, { type: 'policy.decision' }> => e.type === 'policy.decision' && !!e.target);
    expect(decisions[0].arms.map((a) => [a.target, a.weight])).toEqual([
      ['sum@N=240000', 0.8],
      ['sum@N=80000', 0.2],
    ]);
    const fp = (events.find((e) => e.type === 'run.start') as Extract<KloopEvent, { type: 'run.start' }>).fingerprint;
    const kept = await memory.baselines({ target: 'sum' });
    expect(kept.map((b) => b.size?.N).sort()).toEqual([240000, 80000]);
    expect(kept.every((b) => b.source === EIGHT && b.fingerprint === fp && b.vsReference > 1)).toBe(true);
    expect(await memory.getBaseline('sum', fp)).toBeUndefined();
    // Each kept kernel was checked at its node's sizes beside the target's check sizes, and its review record says the size.
    const winners = await memory.winners({ target: 'sum' });
    expect(winners.map((x) => x.size?.N).sort()).toEqual([240000, 80000]);
    for (const x of winners) {
      expect(x.evidence).toMatch(new RegExp(`N=1 seed.*N=17 seed.*N=1000 seed.*N=${x.size!.N} seed`));
      expect(commitMessage(x)).toMatch(new RegExp(`^kloop: promote sum kernel tuned at N=${x.size!.N}, `));
    }
    // Killed before its end, the run resumes the same sessions: its journal holds their sizes.
    const journal = join(summary.dir, 'journal.jsonl');
    writeFileSync(journal, readFileSync(journal, 'utf8').replace(/^.*"type":"run\.end".*\n/m, ''));
    const resumed = await (await createRun({ workflow: wf, cwd: dir, resume: summary.runId, memory })).run();
    expect(resumed.perTarget.map((p) => [p.target, p.rounds, p.best])).toEqual(summary.perTarget.map((p) => [p.target, p.rounds, p.best]));
  }, 120_000);
});
