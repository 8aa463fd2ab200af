import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../common/index.js';
import { median, speedupCI } from '../loop/index.js';
import { describeExit } from '../sandboxes/index.js';
import type { BoundPlan } from './bind.js';
import { checkPlan } from './check.js';
import { compareCheckDump } from './compare.js';
import type { NodeKernel } from './cost.js';
import type { PlanExecutor } from './executor.js';
import { workloadInputs } from './inputs.js';
import type { PlanVerdict } from './verify.js';
import { executeInWaves, WaveFailed, type RunRemote, type WaveExecution } from './wave-executor.js';
import { cutWaves, type Wave } from './waves.js';

/** A plan ready to execute in waves: its waves and its program (the local part). */
export interface WavePlan {
  bound: BoundPlan;
  waves: Wave[];
  binary: string;
}

/** The plan's waves and its program, built (the local devices' kernels: `kernels`). */
export async function buildWavePlan(executor: PlanExecutor, kernels: Map<string, NodeKernel>, b: BoundPlan, dir: string): Promise<WavePlan | { ok: false; reason: string }> {
  const waves = cutWaves(b);
  if (!waves) return { ok: false, reason: 'the steps wait on each other: the plan would deadlock' };
  const order = waves.flatMap((w) => [...w.local, ...[...w.remote.values()].flat()]);
  const prog = await executor.build(b, kernels, order, dir);
  if (!prog.ok) return { ok: false, reason: `the plan's program does not build: ${prog.log.split('\n').find((l) => /error/.test(l)) ?? prog.log.slice(0, 300)}` };
  return { bound: b, waves, binary: prog.binary };
}

/**
 * CEP verification of a plan whose devices include fleet workers: the static check, then one
 * execution in waves on fresh seeded inputs (each worker device's steps as fleet jobs on that
 * worker, its memory holding only what copies brought there and what its steps wrote), every
 * buffer of every device compared with the graph oracle, as verifyPlan does for local plans. A
 * fleet job that fails, is refused or is not answered in time is the plan's verdict (stage `run`).
 */
export async function verifyInWaves(b: BoundPlan, o: { executor: PlanExecutor; kernels: Map<string, NodeKernel>; remote: RunRemote; dir: string; seed: number; unchecked?: boolean }): Promise<PlanVerdict & { execution?: WaveExecution }> {
  if (!o.unchecked) {
    const s = checkPlan(b);
    if (!s.ok) return { ok: false, stage: 'static', reason: s.reason };
  }
  mkdirSync(o.dir, { recursive: true });
  const oracle = await o.executor.buildOracle(b.workload);
  if (!oracle.ok) throw new Error(`the graph oracle of ${b.workload.name} does not build:\n${oracle.log}`);
  const plan = await buildWavePlan(o.executor, o.kernels, b, join(o.dir, 'waves'));
  if ('ok' in plan) return { ok: false, stage: plan.reason.startsWith('the steps') ? 'static' : 'build', reason: plan.reason };
  const inputs = workloadInputs(b.workload, o.seed);
  const input = join(o.dir, 'inputs.bin');
  writeFileSync(input, inputs);
  const ro = await o.executor.run(oracle.binary, [input, join(o.dir, 'oracle.out')], o.dir);
  if (ro.exitCode !== 0) throw new Error(`the graph oracle of ${b.workload.name} failed (${describeExit(ro)}): ${ro.stderr.slice(0, 300)}`);
  let ex: WaveExecution;
  try {
    ex = await executeInWaves({ executor: o.executor, binary: plan.binary, bound: b, waves: plan.waves, inputs, dir: o.dir, remote: o.remote });
  } catch (e) {
    if (e instanceof WaveFailed || e instanceof UserError) return { ok: false, stage: 'run', reason: e.message };
    throw e;
  }
  const cmp = compareCheckDump(b, ex.dump, readFileSync(join(o.dir, 'oracle.out')));
  if (!cmp.ok) return { ok: false, stage: 'outputs', reason: cmp.line, mismatch: cmp.mismatch, execution: ex };
  const workers = [...new Set(b.devices.filter((d) => d.worker).map((d) => d.worker))];
  return {
    ok: true,
    maxErrorRatio: cmp.maxErrorRatio,
    elements: cmp.elements,
    execution: ex,
    checked: `${o.unchecked ? '' : 'static check (slices, transfers, ordering) and '}${cmp.elements} elements of every node's outputs on every device equal the graph oracle within its composed bounds (seed ${o.seed}; executed in ${ex.waves} waves, ${ex.jobs} fleet jobs on worker${workers.length > 1 ? 's' : ''} ${workers.join(', ')})`,
  };
}

export interface WaveTiming {
  /** Median wall clock of a whole execution (ms), per plan. */
  ms: number[];
  /** Speedup of the last plan over the first (first / last) from interleaved pairs, with its 95% interval. */
  speedup: ReturnType<typeof speedupCI>;
  /** The last plan's median fleet figures per execution: bytes to and from workers, jobs' round trips (ms). */
  fleet: { bytesIn: number; bytesOut: number; jobs: number; remoteMs: number; workerMs: number };
}

/**
 * Plans executed in waves, timed against each other in interleaved pairs (A B A B …), a wave's
 * local steps on their devices' threads side by side (pinned to their cores), each
 * execution's wall clock one sample (state set up, every wave's local process, every fleet job
 * with its transfers, results written back), after one uncounted warm-up each (builds on the
 * workers are cached by content). Every execution's buffers are compared with the graph oracle: a
 * timed run that computes something else is an error, not a figure.
 */
export async function timeInWaves(
  o: { executor: PlanExecutor; /** Holds the plans' programs (a sandbox sees only this folder): the state files go here. */ dir: string; inputs: Buffer; oracleOut: string; pairs: number; remote?: RunRemote },
  plans: WavePlan[],
): Promise<WaveTiming> {
  const oracle = readFileSync(o.oracleOut);
  const samples: number[][] = plans.map(() => []);
  const fleet: WaveTiming['fleet'][] = [];
  for (let p = -1; p < o.pairs; p++)
    for (let k = 0; k < plans.length; k++) {
      const ex = await executeInWaves({ executor: o.executor, binary: plans[k].binary, bound: plans[k].bound, waves: plans[k].waves, inputs: o.inputs, dir: o.dir, remote: o.remote, parallel: true });
      const cmp = compareCheckDump(plans[k].bound, ex.dump, oracle);
      if (!cmp.ok) throw new WaveFailed(`a timed execution of plan ${k} computed something else: ${cmp.line}`);
      if (p < 0) continue;
      samples[k].push(ex.ms);
      if (k === plans.length - 1) fleet.push({ bytesIn: ex.bytesIn, bytesOut: ex.bytesOut, jobs: ex.jobs, remoteMs: ex.remoteMs, workerMs: ex.workerMs });
    }
  return {
    ms: samples.map(median),
    speedup: speedupCI(samples[0], samples[samples.length - 1]),
    fleet: {
      bytesIn: median(fleet.map((f) => f.bytesIn)),
      bytesOut: median(fleet.map((f) => f.bytesOut)),
      jobs: median(fleet.map((f) => f.jobs)),
      remoteMs: median(fleet.map((f) => f.remoteMs)),
      workerMs: median(fleet.map((f) => f.workerMs)),
    },
  };
}
