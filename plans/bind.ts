import { didYouMean } from '../common/index.js';
import { evalExpr } from '../targets/index.js';
import { sliceRows, type Workload, type WorkloadArray, type WorkloadNode } from '../workloads/index.js';
import { PlanError } from './parse.js';
import type { CepDevice, CepPlan } from './schema.js';

/** Rows [lo, hi) of a logical array on a device. */
export interface Access {
  device: number;
  array: WorkloadArray;
  lo: number;
  hi: number;
}

/** A kernel argument of a run step: its logical array and how far into it the pointer starts (elements). */
export interface BoundArg {
  arg: string;
  array: WorkloadArray;
  offset: number;
}

export interface BoundStep {
  index: number;
  id: string;
  device: number;
  /** Steps that must finish first: `after`, as indices. */
  after: number[];
  op: 'run' | 'copy';
  /** run: the node, its sizes for this slice, its arguments. */
  node?: WorkloadNode;
  sizes?: Record<string, number>;
  args?: BoundArg[];
  /** run: node rows (along its split symbol); copy: array rows. */
  rows: [number, number];
  /** copy: the array and the device it is copied from. */
  array?: WorkloadArray;
  from?: number;
  reads: Access[];
  writes: Access[];
  label: string;
}

export interface BoundPlan {
  plan: CepPlan;
  workload: Workload;
  devices: CepDevice[];
  home: number;
  steps: BoundStep[];
}

/**
 * A plan checked against its workload for what it names: the workload it was made for, devices,
 * nodes, arrays, rows and step ids that exist. Each step's reads and writes (rows of logical arrays
 * on a device) are worked out here, once, for the checker, the simulator and the executor.
 */
export function bindPlan(plan: CepPlan, w: Workload, source: string): BoundPlan {
  const fail = (path: string, problem: string): never => {
    throw new PlanError(source, path, problem);
  };
  if (plan.workload.name !== w.name) fail('workload.name', `the plan is for workload "${plan.workload.name}", not "${w.name}"`);
  if (plan.workload.hash !== w.hash) fail('workload.hash', `the plan was made for another version of ${w.name} (${plan.workload.hash}, now ${w.hash}); make it again with kloop plan ${w.name}`);
  const deviceNames = plan.devices.map((d) => d.name);
  plan.devices.forEach((d, i) => deviceNames.indexOf(d.name) !== i && fail(`devices[${i}].name`, `"${d.name}" names two devices`));
  const dev = (path: string, n: string) => {
    const i = deviceNames.indexOf(n);
    return i >= 0 ? i : fail(path, `no device "${n}"${didYouMean(n, deviceNames)} (devices: ${deviceNames.join(', ')})`);
  };
  const home = dev('home', plan.home);
  const ids = plan.steps.map((s) => s.id);
  plan.steps.forEach((s, i) => ids.indexOf(s.id) !== i && fail(`steps[${i}].id`, `"${s.id}" names two steps`));
  const nodeNames = w.nodes.map((n) => n.name);
  const arrayIds = [...w.arrays.keys()];

  const steps = plan.steps.map((s, index): BoundStep => {
    const at = `steps[${index}]`;
    const device = dev(`${at}.device`, s.device);
    const after = s.after.map((a, k) => {
      const j = ids.indexOf(a);
      return j >= 0 ? j : fail(`${at}.after[${k}]`, `no step "${a}"${didYouMean(a, ids)}`);
    });
    if (s.op === 'copy') {
      const array = w.arrays.get(s.array) ?? fail(`${at}.array`, `no array "${s.array}" in ${w.name}${didYouMean(s.array, arrayIds)} (its arrays: ${arrayIds.join(', ')})`);
      const from = dev(`${at}.from`, s.from);
      if (from === device) fail(`${at}.from`, `copies ${s.array} from ${s.from} into itself`);
      const rows = s.rows ?? [0, array.shape[0]];
      if (rows[1] > array.shape[0]) fail(`${at}.rows`, `${s.array} has ${array.shape[0]} rows; [${rows.join(', ')}) goes past them`);
      return {
        index,
        id: s.id,
        device,
        after,
        op: 'copy',
        rows,
        array,
        from,
        reads: [{ device: from, array, lo: rows[0], hi: rows[1] }],
        writes: [{ device, array, lo: rows[0], hi: rows[1] }],
        label: `${s.id} (copy ${s.array} rows ${rows[0]}..${rows[1] - 1} ${s.from} -> ${s.device})`,
      };
    }
    const node = w.nodes.find((n) => n.name === s.node) ?? fail(`${at}.node`, `no node "${s.node}"${didYouMean(s.node, nodeNames)} (nodes: ${nodeNames.join(', ')})`);
    const split = node.rows;
    if (s.rows && !split) fail(`${at}.rows`, `node ${node.name} does not split into rows (its workload gives it no rows:); run it whole`);
    const rows: [number, number] = s.rows ?? [0, split ? split.extent : 1];
    if (split && rows[1] > split.extent) fail(`${at}.rows`, `node ${node.name} has ${split.extent} rows along ${split.symbol}; [${rows.join(', ')}) goes past them`);
    const { sizes, args, reads, writes } = runAccess(w, node, rows, device);
    const what = split && s.rows ? ` rows ${rows[0]}..${rows[1] - 1}` : '';
    return { index, id: s.id, device, after, op: 'run', node, sizes, args, rows, reads, writes, label: `${s.id} (run ${node.name}${what} on ${s.device})` };
  });
  return { plan, workload: w, devices: plan.devices, home, steps };
}

/** What running rows [r0, r1) of a node on a device takes: its sizes, its arguments, the rows it reads and writes. */
export function runAccess(w: Workload, node: WorkloadNode, rows: [number, number], device: number): { sizes: Record<string, number>; args: BoundArg[]; reads: Access[]; writes: Access[] } {
  const split = node.rows;
  const sizes = split ? { ...node.sizes, [split.symbol]: rows[1] - rows[0] } : { ...node.sizes };
  const reads: Access[] = [];
  const writes: Access[] = [];
  const args: BoundArg[] = node.target.arrays.map((a) => {
    const array = w.arrays.get(node.source[a.name])!;
    const lead = evalExpr(a.shape[0], node.sizes);
    const argRowElements = a.shape.slice(1).reduce((p, d) => p * evalExpr(d, node.sizes), 1);
    const [lo, hi] = split ? sliceRows(split, a.name, rows[0], rows[1], lead) : [0, lead];
    // Rows of the argument as rows of its logical array (the same unless an edge reshapes).
    const acc = { device, array, lo: Math.floor((lo * argRowElements) / array.rowElements), hi: Math.ceil((hi * argRowElements) / array.rowElements) };
    (a.role === 'in' ? reads : writes).push(acc);
    return { arg: a.name, array, offset: lo * argRowElements };
  });
  return { sizes, args, reads, writes };
}

/** What each step waits for: its `after` steps and the step listed before it on its device. */
export function stepPredecessors(b: BoundPlan): number[][] {
  const preds = b.steps.map((s) => [...s.after]);
  const last = new Map<number, number>();
  for (const s of b.steps) {
    const p = last.get(s.device);
    if (p !== undefined) preds[s.index].push(p);
    last.set(s.device, s.index);
  }
  return preds;
}
