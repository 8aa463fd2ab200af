import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { numbersAfter } from '../devices/harness-protocol.js';
import { describeExit } from '../sandboxes/index.js';
import type { BoundPlan } from './bind.js';
import type { PlanExecutor } from './executor.js';
import { PlanState } from './plan-state.js';
import type { Wave } from './waves.js';

/** What a worker device's batch did: its steps' times on the worker, the bytes it carried each way, its round trip. */
export interface RemoteBatch {
  worker: string;
  /** Per step of the batch (plan step index): its time on the worker (ns). */
  stepNs: Map<number, number>;
  /** Bytes sent to the worker (copies to it and the rows of its own memory its steps read) and returned (the rows its steps wrote). */
  bytesIn: number;
  bytesOut: number;
  /** From sending the job to holding its result (ms), and of that the job's own work on the worker (building, cached by content, and running). */
  ms: number;
  workerMs: number;
  /** Writes what the batch returned into the worker device's memory (after the wave's local part). */
  apply(state: PlanState): void;
}

/**
 * Runs a fleet worker device's batch of steps (plans/waves.ts): it must read what it sends from the
 * state synchronously, when called (the wave's snapshot), and leave the state alone until `apply`.
 */
export type RunRemote = (device: number, steps: number[], state: PlanState) => Promise<RemoteBatch>;

export interface WaveExecution {
  /** Every device's memory at the end, in the check dump's layout. */
  dump: Buffer;
  /** Wall clock of the whole plan (ms): state set up, every wave's local process and fleet jobs, the results written back. */
  ms: number;
  waves: number;
  /** Per step: its time where it ran (ns). */
  stepNs: number[];
  /** Bytes the fleet carried to and from workers, and the fleet jobs' round trips (ms), in all. */
  bytesIn: number;
  bytesOut: number;
  jobs: number;
  remoteMs: number;
  workerMs: number;
}

/**
 * A plan executed wave by wave (plans/waves.ts): each wave's local steps in one run of the plan's
 * own program (`plan wave`, its state in and out through a file, every device's buffers), and each
 * worker device's steps as one fleet job (`remote`), all at once; then the local state is read back
 * and each job's results written into its device's memory. Without worker devices this is one wave
 * of one process: the same overheads, so the two can be compared.
 */
export async function executeInWaves(o: {
  executor: PlanExecutor;
  binary: string;
  bound: BoundPlan;
  waves: Wave[];
  inputs: Buffer;
  /** The local process's folder (the only one a sandbox lets it see and write): the binary must lie inside it; the state files go here. */
  dir: string;
  remote?: RunRemote;
  /** The local steps of a wave on their devices' threads side by side (pinned, as timed plans run), not one at a time in the listed order (as a check runs them). */
  parallel?: boolean;
}): Promise<WaveExecution> {
  const b = o.bound;
  mkdirSync(o.dir, { recursive: true });
  const t0 = performance.now();
  const state = new PlanState(b, o.inputs);
  const stepNs = new Array<number>(b.steps.length).fill(0);
  let bytesIn = 0;
  let bytesOut = 0;
  let jobs = 0;
  let remoteMs = 0;
  let workerMs = 0;
  const stateFile = join(o.dir, 'state.bin');
  const outFile = join(o.dir, 'state.out');
  for (const wave of o.waves) {
    if (wave.remote.size && !o.remote) throw new Error(`the plan's devices include fleet workers (${[...wave.remote.keys()].map((d) => b.devices[d].name).join(', ')}): give the fleet`);
    const remote = [...wave.remote].map(([d, steps]) => o.remote!(d, steps, state));
    let local: Promise<void> = Promise.resolve();
    if (wave.local.length) {
      writeFileSync(stateFile, state.buf);
      local = o.executor.run(o.binary, [o.parallel ? 'wave-par' : 'wave', stateFile, outFile, ...wave.local.map(String)], o.dir).then((r) => {
        if (r.exitCode !== 0 || r.timedOut) throw new WaveFailed(`the plan's program ${describeExit(r)}${r.stderr ? `: ${r.stderr.trim().split('\n')[0]}` : ''} (local steps ${wave.local.map((i) => b.steps[i].id).join(', ')})`);
        numbersAfter('KLOOP_STEP_NS', r.stdout).forEach((ns, k) => (stepNs[wave.local[k]] = ns));
      });
    }
    const [l, ...rs] = await Promise.allSettled([local, ...remote]);
    const failed = [l, ...rs].find((x) => x.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    if (wave.local.length) {
      const after = readFileSync(outFile);
      if (after.length !== state.buf.length) throw new WaveFailed(`the plan's program wrote ${after.length} bytes of state, expected ${state.buf.length}`);
      after.copy(state.buf);
    }
    for (const r of rs) {
      const batch = (r as PromiseFulfilledResult<RemoteBatch>).value;
      batch.apply(state);
      for (const [i, ns] of batch.stepNs) stepNs[i] = ns;
      bytesIn += batch.bytesIn;
      bytesOut += batch.bytesOut;
      remoteMs += batch.ms;
      workerMs += batch.workerMs;
      jobs++;
    }
  }
  return { dump: state.buf, ms: performance.now() - t0, waves: o.waves.length, stepNs, bytesIn, bytesOut, jobs, remoteMs, workerMs };
}

/** A wave that could not run (the local program failed, a fleet job failed, was refused or not answered): the plan's verdict, one line. */
export class WaveFailed extends Error {
  override readonly name = 'WaveFailed';
}
