import type { BoundPlan } from './bind.js';
import type { CostModel, CostSource } from './cost.js';

export interface Simulation {
  ms: number;
  /** Per step: predicted start and finish (ms). */
  start: number[];
  finish: number[];
  /** Per "node@device": where its time came from; per "copy:FROM->TO" between host and a GPU, where the copies' time came from. */
  sources: Record<string, CostSource>;
}

/**
 * The predicted time of a plan: each step starts when the previous step on its device and the steps
 * it waits for have finished, and takes what the cost model says; the plan takes until its last
 * step finishes. `order` is a topological order (checkPlan's).
 */
export function simulate(b: BoundPlan, order: number[], cost: CostModel): Simulation {
  const n = b.steps.length;
  const start = new Array<number>(n).fill(0);
  const finish = new Array<number>(n).fill(0);
  const prevOnDevice = new Array<number>(n).fill(-1);
  const last = new Map<number, number>();
  for (const s of b.steps) {
    prevOnDevice[s.index] = last.get(s.device) ?? -1;
    last.set(s.device, s.index);
  }
  const sources: Record<string, CostSource> = {};
  for (const i of order) {
    const s = b.steps[i];
    let t = prevOnDevice[i] >= 0 ? finish[prevOnDevice[i]] : 0;
    for (const a of s.after) t = Math.max(t, finish[a]);
    let dur: number;
    if (s.op === 'run') {
      const r = cost.run(s.node!, s.device, s.rows);
      dur = r.ms;
      sources[`${s.node!.name}@${b.devices[s.device].name}`] = r.source;
    } else {
      const w = s.array!.real === 'float' ? 4 : 8;
      dur = cost.copy((s.rows[1] - s.rows[0]) * s.array!.rowElements * w, s.from!, s.device);
      const src = cost.copySource?.(s.from!, s.device);
      if (src) sources[`copy:${b.devices[s.from!].name}->${b.devices[s.device].name}`] = src;
    }
    start[i] = t;
    finish[i] = t + dur;
  }
  return { ms: Math.max(0, ...finish), start, finish, sources };
}
