import type { Workload } from '../workloads/index.js';
import { bindPlan } from './bind.js';
import { buildPlan, type Assignment, type Part } from './build.js';
import { checkPlan } from './check.js';
import type { CostModel } from './cost.js';
import { kernelBindings } from './node-kernels.js';
import type { CepDevice, CepPlan } from './schema.js';
import { simulate, type Simulation } from './simulate.js';

export interface Candidate {
  plan: CepPlan;
  sim: Simulation;
  assignment: Assignment;
}

/** Predict a plan: build it from an assignment, bind, order and simulate it. */
export function predict(w: Workload, devices: CepDevice[], home: number, assignment: Assignment, cost: CostModel): Candidate {
  const plan = buildPlan(w, devices, home, assignment);
  const bound = bindPlan(plan, w, 'GP1');
  const verdict = checkPlan(bound);
  if (!verdict.ok) throw new Error(`GP1 built a plan its own check refuses: ${verdict.reason}`);
  const sim = simulate(bound, verdict.order, cost);
  const kernels = kernelBindings(w);
  plan.predicted = { ms: round(sim.ms), by: 'GP1', sources: sim.sources, ...(kernels ? { kernels } : {}) };
  return { plan, sim, assignment };
}

const round = (ms: number) => Math.round(ms * 1e4) / 1e4;
const whole = (w: Workload, i: number, device: number): Part[] => [{ device, rows: [0, w.nodes[i].rows ? w.nodes[i].rows!.extent : 1] }];

/**
 * HEFT (Topcuoglu et al.): nodes by decreasing upward rank (their mean time over the devices plus
 * the longest mean path of copies and nodes after them), each placed whole on the device where it
 * would finish earliest, counting the copies its inputs need.
 */
export function heft(w: Workload, devices: CepDevice[], home: number, cost: CostModel): Assignment {
  const D = devices.length;
  const full = (i: number, d: number) => cost.run(w.nodes[i], d, whole(w, i, d)[0].rows).ms;
  // Over the devices that can run the node (a GPU runs only nodes with a CUDA kernel: Infinity elsewhere).
  const mean = w.nodes.map((_, i) => {
    const t = devices.map((_d, d) => full(i, d)).filter(Number.isFinite);
    return t.reduce((s, x) => s + x, 0) / Math.max(1, t.length);
  });
  const succ = w.nodes.map((n) =>
    w.nodes
      .map((m, j) => [m, j] as const)
      .filter(([m]) => Object.values(m.source).some((src) => w.arrays.get(src)!.node === n.name && m.name !== n.name))
      .map(([, j]) => j),
  );
  const bytesBetween = (i: number, j: number) =>
    Object.values(w.nodes[j].source)
      .map((id) => w.arrays.get(id)!)
      .filter((a) => a.node === w.nodes[i].name && a.kind === 'output')
      .reduce((s, a) => s + a.elements * (a.real === 'float' ? 4 : 8), 0);
  const meanCopy = (bytes: number) => (D < 2 ? 0 : cost.copy(bytes, 0, 1));
  const rank = new Array<number>(w.nodes.length).fill(0);
  for (let i = w.nodes.length - 1; i >= 0; i--) rank[i] = mean[i] + Math.max(0, ...succ[i].map((j) => meanCopy(bytesBetween(i, j)) + rank[j]));
  const byRank = w.nodes.map((_, i) => i).sort((a, b) => rank[b] - rank[a] || a - b);
  const free = new Array<number>(D).fill(0);
  const finish = new Array<number>(w.nodes.length).fill(0);
  const where = new Array<number>(w.nodes.length).fill(home);
  const preds = w.nodes.map((_, j) => w.nodes.map((_n, i) => i).filter((i) => succ[i].includes(j)));
  for (const j of byRank) {
    let best = { d: home, eft: Infinity };
    for (let d = 0; d < D; d++) {
      const ready = Math.max(free[d], ...preds[j].map((i) => finish[i] + (where[i] === d ? 0 : cost.copy(bytesBetween(i, j), where[i], d))));
      const eft = ready + full(j, d);
      if (eft < best.eft - 1e-12) best = { d, eft };
    }
    where[j] = best.d;
    finish[j] = best.eft;
    free[best.d] = best.eft;
  }
  return w.nodes.map((_, i) => whole(w, i, where[i]));
}

/**
 * GP1: HEFT, then a local search over assignments and split ratios ranked by the simulated plan:
 * move a node to another device, split a node whose rows split across devices (in proportion to
 * their predicted speed), shift rows between the parts of a split node, merge a split node onto one
 * device. Takes the best neighbour while it is faster, up to `maxSteps`.
 */
export function gp1(w: Workload, devices: CepDevice[], home: number, cost: CostModel, maxSteps = 60): Candidate {
  let best = predict(w, devices, home, heft(w, devices, home, cost), cost);
  for (let step = 0; step < maxSteps; step++) {
    let improved: Candidate | undefined;
    for (const a of neighbours(w, devices.length, best.assignment, cost)) {
      const c = predict(w, devices, home, a, cost);
      if (c.sim.ms < (improved ?? best).sim.ms * (1 - 1e-6)) improved = c;
    }
    if (!improved) break;
    best = improved;
  }
  return best;
}

function neighbours(w: Workload, D: number, a: Assignment, cost: CostModel): Assignment[] {
  const out: Assignment[] = [];
  const withNode = (i: number, parts: Part[]) => a.map((p, k) => (k === i ? parts : p));
  w.nodes.forEach((n, i) => {
    const parts = a[i];
    for (let d = 0; d < D; d++) if (!(parts.length === 1 && parts[0].device === d)) out.push(withNode(i, whole(w, i, d)));
    if (!n.rows || D < 2) return;
    const extent = n.rows.extent;
    // Split across every device, rows in proportion to predicted speed.
    const speed = Array.from({ length: D }, (_, d) => 1 / cost.run(n, d, [0, extent]).ms);
    const total = speed.reduce((s, x) => s + x, 0);
    const split: Part[] = [];
    let at = 0;
    for (let d = 0; d < D; d++) {
      const end = d === D - 1 ? extent : Math.min(extent, at + Math.round((extent * speed[d]) / total));
      if (end > at) split.push({ device: d, rows: [at, end] });
      at = end;
    }
    if (split.length > 1) out.push(withNode(i, split));
    // Shift rows between neighbouring parts.
    for (let k = 0; k + 1 < parts.length; k++)
      for (const frac of [1 / 4, 1 / 16]) {
        const delta = Math.max(1, Math.round((parts[k].rows[1] - parts[k].rows[0]) * frac));
        for (const sign of [1, -1]) {
          const cut = parts[k].rows[1] + sign * delta;
          if (cut <= parts[k].rows[0] || cut >= parts[k + 1].rows[1]) continue;
          out.push(
            withNode(
              i,
              parts.map((p, m) => (m === k ? { ...p, rows: [p.rows[0], cut] } : m === k + 1 ? { ...p, rows: [cut, p.rows[1]] } : p)),
            ),
          );
        }
      }
  });
  return out;
}
