import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeExit } from '../sandboxes/index.js';
import { stepPredecessors, type BoundPlan } from './bind.js';
import { checkPlan } from './check.js';
import { compareCheckDump, type PlanMismatch } from './compare.js';
import type { NodeKernel } from './cost.js';
import type { PlanExecutor } from './executor.js';
import { writeWorkloadInputs } from './inputs.js';

export type PlanVerdict = { ok: true; maxErrorRatio: number; elements: number; checked: string } | { ok: false; stage: 'static' | 'build' | 'run' | 'outputs'; reason: string; mismatch?: PlanMismatch };

/**
 * The schedule a check runs: one step at a time, in an order the plan allows (each device's own
 * order and `after`), running every copy as early as that lets it (copies first, then the earliest
 * listed step). A copy that does not wait for the step that writes its rows then reads what was
 * there before: NaN, which the comparison catches. Undefined if the steps wait on each other.
 */
export function eagerOrder(b: BoundPlan): number[] | undefined {
  const n = b.steps.length;
  const preds = stepPredecessors(b);
  const done = new Array<boolean>(n).fill(false);
  const order: number[] = [];
  while (order.length < n) {
    const ready = b.steps.filter((s) => !done[s.index] && preds[s.index].every((p) => done[p]));
    if (!ready.length) return undefined;
    const next = ready.find((s) => s.op === 'copy') ?? ready[0];
    done[next.index] = true;
    order.push(next.index);
  }
  return order;
}

/**
 * CEP verification of a plan: the static check (coverage, ordering, transfers), then one real
 * execution on fresh seeded inputs, every buffer on every device compared with the graph oracle
 * (the whole workload's references in double with error bounds composed along the graph). `unchecked`
 * skips the static check (to show that the execution alone also catches a hostile plan).
 */
export async function verifyPlan(b: BoundPlan, o: { executor: PlanExecutor; kernels: Map<string, NodeKernel>; dir: string; seed: number; unchecked?: boolean }): Promise<PlanVerdict> {
  if (!o.unchecked) {
    const s = checkPlan(b);
    if (!s.ok) return { ok: false, stage: 'static', reason: s.reason };
  }
  const order = eagerOrder(b);
  if (!order) return { ok: false, stage: 'static', reason: 'the steps wait on each other: the plan would deadlock' };
  mkdirSync(o.dir, { recursive: true });
  const oracle = await o.executor.buildOracle(b.workload);
  if (!oracle.ok) throw new Error(`the graph oracle of ${b.workload.name} does not build:\n${oracle.log}`);
  const prog = await o.executor.build(b, o.kernels, order, join(o.dir, 'check'));
  if (!prog.ok) return { ok: false, stage: 'build', reason: `the plan's program does not build: ${prog.log.split('\n').find((l) => /error/.test(l)) ?? prog.log.slice(0, 300)}` };
  const input = join(o.dir, 'inputs.bin');
  writeWorkloadInputs(b.workload, o.seed, input);
  const ro = await o.executor.run(oracle.binary, [input, join(o.dir, 'oracle.out')], o.dir);
  if (ro.exitCode !== 0) throw new Error(`the graph oracle of ${b.workload.name} failed (${describeExit(ro)}): ${ro.stderr.slice(0, 300)}`);
  const r = await o.executor.run(prog.binary, ['check', input, join(o.dir, 'check.out'), '1'], o.dir);
  if (r.exitCode !== 0 || r.timedOut) return { ok: false, stage: 'run', reason: `the plan's program ${describeExit(r)}${r.stderr ? `: ${r.stderr.trim().split('\n')[0]}` : ''}` };
  const cmp = compareCheckDump(b, readFileSync(join(o.dir, 'check.out')), readFileSync(join(o.dir, 'oracle.out')));
  if (!cmp.ok) return { ok: false, stage: 'outputs', reason: cmp.line, mismatch: cmp.mismatch };
  return {
    ok: true,
    maxErrorRatio: cmp.maxErrorRatio,
    elements: cmp.elements,
    checked: `${o.unchecked ? '' : 'static check (slices, transfers, ordering) and '}${cmp.elements} elements of every node's outputs on every device equal the graph oracle within its composed bounds (seed ${o.seed})`,
  };
}
