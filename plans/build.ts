import type { Workload } from '../workloads/index.js';
import { runAccess } from './bind.js';
import { CEP_VERSION, type CepDevice, type CepPlan, type CepStep } from './schema.js';

/** Where a node runs: one part per device, each a range of its rows (one part [0, 1) for a node that does not split). */
export interface Part {
  device: number;
  rows: [number, number];
}
/** One list of parts per node, in the workload's node order. */
export type Assignment = Part[][];

interface Segment {
  lo: number;
  hi: number;
  /** The step that wrote it there; undefined for inputs on home. */
  step?: string;
}

/**
 * The CEP plan of an assignment: nodes in topological order, each part a run step on its device,
 * preceded by the copies that bring the rows it reads there (from wherever they were written, the
 * copy waiting for the step that wrote them), and the outputs copied home at the end.
 */
export function buildPlan(w: Workload, devices: CepDevice[], home: number, assignment: Assignment): CepPlan {
  const valid = new Map<string, Segment[]>();
  const segs = (d: number, id: string) => {
    const k = `${d}|${id}`;
    if (!valid.has(k)) valid.set(k, []);
    return valid.get(k)!;
  };
  for (const id of w.inputs) segs(home, id).push({ lo: 0, hi: w.arrays.get(id)!.shape[0] });
  const steps: CepStep[] = [];
  let copies = 0;

  /** Bring rows [lo, hi) of an array to device d: copies of whatever is missing there. */
  const bring = (d: number, id: string, lo: number, hi: number) => {
    for (const [a, b] of missing(segs(d, id), lo, hi)) {
      for (let src = 0; src < devices.length; src++) {
        if (src === d) continue;
        for (const s of segs(src, id)) {
          const x = Math.max(a, s.lo);
          const y = Math.min(b, s.hi);
          if (x >= y || missing(segs(d, id), x, y).length === 0) continue;
          for (const [m, n] of missing(segs(d, id), x, y)) {
            const step = `copy${++copies}`;
            steps.push({ id: step, device: devices[d].name, op: 'copy', array: id, from: devices[src].name, rows: [m, n], after: s.step ? [s.step] : [] });
            segs(d, id).push({ lo: m, hi: n, step });
          }
        }
      }
    }
  };

  w.nodes.forEach((node, i) => {
    const parts = assignment[i];
    for (const p of parts) {
      const { reads, writes } = runAccess(w, node, p.rows, p.device);
      for (const r of reads) bring(p.device, r.array.id, r.lo, r.hi);
      const whole = !node.rows || (p.rows[0] === 0 && p.rows[1] === node.rows.extent);
      const id = whole ? `${node.name}@${devices[p.device].name}` : `${node.name}@${devices[p.device].name}:${p.rows[0]}-${p.rows[1]}`;
      steps.push({ id, device: devices[p.device].name, op: 'run', node: node.name, ...(whole ? {} : { rows: p.rows }), after: [] });
      for (const x of writes) segs(p.device, x.array.id).push({ lo: x.lo, hi: x.hi, step: id });
    }
  });
  for (const id of w.outputs) bring(home, id, 0, w.arrays.get(id)!.shape[0]);
  return { cep: CEP_VERSION, workload: { name: w.name, hash: w.hash }, devices, home: devices[home].name, steps };
}

/** The parts of [lo, hi) no segment covers. */
function missing(have: Segment[], lo: number, hi: number): [number, number][] {
  const out: [number, number][] = [];
  let at = lo;
  for (const s of [...have].sort((a, b) => a.lo - b.lo)) {
    if (s.hi <= at) continue;
    if (s.lo >= hi) break;
    if (s.lo > at) out.push([at, Math.min(s.lo, hi)]);
    at = Math.max(at, s.hi);
    if (at >= hi) break;
  }
  if (at < hi) out.push([at, hi]);
  return out;
}
