import { stepPredecessors, type BoundPlan } from './bind.js';

/** One wave of a plan: the steps this machine runs (its devices), and each fleet worker device's steps (by device index), each list in the order to run it. */
export interface Wave {
  local: number[];
  remote: Map<number, number[]>;
}

/**
 * A plan cut into waves for an execution whose devices include fleet workers. A step is ready once
 * the previous step on its device and its `after` steps are done; a wave takes, for this machine
 * (all its devices together) and for each worker device, every step that is ready or becomes ready
 * through steps of the same batch (a chain on one worker is one job). The batches of a wave run at
 * the same time, on the state the previous wave left: a copy that does not wait for the step that
 * writes its rows reads what was there before (NaN on a device nothing wrote), as CEP's check run
 * does. Within the local batch copies go first (as early as their dependencies let them). Undefined
 * if the steps wait on each other (a deadlock).
 */
export function cutWaves(b: BoundPlan): Wave[] | undefined {
  const n = b.steps.length;
  const preds = stepPredecessors(b);
  const group = (i: number) => (b.devices[b.steps[i].device].worker ? b.steps[i].device : -1);
  const groups = [-1, ...b.devices.flatMap((d, i) => (d.worker ? [i] : []))];
  const done = new Array<boolean>(n).fill(false);
  const waves: Wave[] = [];
  let left = n;
  while (left > 0) {
    const wave: Wave = { local: [], remote: new Map() };
    const taken: number[] = [];
    for (const g of groups) {
      const batch: number[] = [];
      const inBatch = new Set<number>();
      for (;;) {
        const ready = b.steps.filter((s) => group(s.index) === g && !done[s.index] && !inBatch.has(s.index) && preds[s.index].every((p) => done[p] || inBatch.has(p)));
        if (!ready.length) break;
        const next = ready.find((s) => s.op === 'copy') ?? ready[0];
        batch.push(next.index);
        inBatch.add(next.index);
      }
      if (!batch.length) continue;
      if (g < 0) wave.local = batch;
      else wave.remote.set(g, batch);
      taken.push(...batch);
    }
    if (!taken.length) return undefined;
    for (const i of taken) done[i] = true;
    left -= taken.length;
    waves.push(wave);
  }
  return waves;
}
