import { elementWrong } from '../verifiers/index.js';
import type { WorkloadArray } from '../workloads/index.js';
import type { BoundPlan } from './bind.js';

export interface PlanMismatch {
  node: string;
  target: string;
  array: string;
  index: number[];
  device: string;
  got: number;
  expected: number;
  tolerance: number;
  /** Elements of that array on that device that were wrong. */
  count: number;
}

export type PlanComparison = { ok: true; maxErrorRatio: number; elements: number } | { ok: false; mismatch?: PlanMismatch; line: string };

/** Which (device, array) buffers a plan's program has, in its layout: devices in order, arrays in order. */
export function usedBuffers(b: BoundPlan): boolean[][] {
  const arrays = [...b.workload.arrays.values()];
  const aIdx = new Map(arrays.map((a, i) => [a.id, i]));
  const used = b.devices.map(() => new Array<boolean>(arrays.length).fill(false));
  for (const id of [...b.workload.inputs, ...b.workload.outputs]) used[b.home][aIdx.get(id)!] = true;
  for (const s of b.steps) for (const x of [...s.reads, ...s.writes]) used[x.device][aIdx.get(x.array.id)!] = true;
  return used;
}

const width = (a: WorkloadArray) => (a.real === 'float' ? 4 : 8);

/** Byte offset of each node output's (value, bound) pairs in the oracle's file. */
function oracleOffsets(b: BoundPlan): Map<string, number> {
  const out = new Map<string, number>();
  let at = 0;
  for (const a of b.workload.arrays.values())
    if (a.kind === 'output') {
      out.set(a.id, at);
      at += a.elements * 16;
    }
  return out;
}

function unflatten(shape: number[], flat: number): number[] {
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(flat % shape[i]);
    flat = Math.floor(flat / shape[i]);
  }
  return idx;
}

type Region = { device: number; array: WorkloadArray; lo: number; hi: number; data: Buffer };

function compareRegions(b: BoundPlan, regions: Region[], oracle: Buffer): PlanComparison {
  const offs = oracleOffsets(b);
  const nodeOrder = new Map(b.workload.nodes.map((n, i) => [n.name, i]));
  regions.sort((x, y) => nodeOrder.get(x.array.node)! - nodeOrder.get(y.array.node)! || x.device - y.device);
  let maxRatio = 0;
  let elements = 0;
  for (const r of regions) {
    const a = r.array;
    const wd = width(a);
    const base = offs.get(a.id)!;
    let first: PlanMismatch | undefined;
    let count = 0;
    for (let i = r.lo * a.rowElements; i < r.hi * a.rowElements; i++) {
      const got = wd === 4 ? r.data.readFloatLE(i * 4) : r.data.readDoubleLE(i * 8);
      const v = oracle.readDoubleLE(base + i * 16);
      const tol = oracle.readDoubleLE(base + i * 16 + 8);
      elements++;
      if (Number.isFinite(v) && Number.isFinite(got) && tol > 0) maxRatio = Math.max(maxRatio, Math.abs(got - v) / tol);
      if (elementWrong(got, v, tol)) {
        count++;
        const node = b.workload.nodes.find((n) => n.name === a.node)!;
        first ??= { node: a.node, target: node.target.name, array: a.id, index: unflatten(a.shape, i), device: b.devices[r.device].name, got, expected: v, tolerance: tol, count: 0 };
      }
    }
    if (first) {
      const m = { ...first, count };
      const line = `node ${m.node} (${m.target}): ${m.array}[${m.index.join('][')}] on ${m.device} is ${m.got}, expected ${m.expected} ± ${m.tolerance.toPrecision(3)}${count > 1 ? ` (${count - 1} more elements of it wrong there)` : ''}`;
      return { ok: false, mismatch: m, line };
    }
  }
  return { ok: true, maxErrorRatio: maxRatio, elements };
}

/**
 * A check run's buffers against the graph oracle: on every device, every row of every node output
 * the plan wrote there (by the node or by a copy), in node order, so the first node whose values
 * differ is the one named, with the element, the device, the value and the bound.
 */
export function compareCheckDump(b: BoundPlan, dump: Buffer, oracle: Buffer): PlanComparison {
  const arrays = [...b.workload.arrays.values()];
  const used = usedBuffers(b);
  const at = new Map<string, number>();
  let off = 0;
  b.devices.forEach((_, d) =>
    arrays.forEach((a, k) => {
      if (!used[d][k]) return;
      at.set(`${d}|${a.id}`, off);
      off += a.elements * width(a);
    }),
  );
  if (dump.length !== off) return { ok: false, line: `the plan's program wrote ${dump.length} bytes, expected ${off}` };
  const regions: Region[] = [];
  for (const s of b.steps)
    for (const x of s.writes) {
      if (x.array.kind !== 'output') continue;
      const o = at.get(`${x.device}|${x.array.id}`)!;
      regions.push({ device: x.device, array: x.array, lo: x.lo, hi: x.hi, data: dump.subarray(o, o + x.array.elements * width(x.array)) });
    }
  // The outputs on home, all of their rows, whoever was meant to write them.
  for (const id of b.workload.outputs) {
    const a = b.workload.arrays.get(id)!;
    const o = at.get(`${b.home}|${id}`)!;
    regions.push({ device: b.home, array: a, lo: 0, hi: a.shape[0], data: dump.subarray(o, o + a.elements * width(a)) });
  }
  return compareRegions(b, regions, oracle);
}

/** A timed run's outputs (on home, in the workload's output order) against the graph oracle. */
export function compareOutputs(b: BoundPlan, out: Buffer, oracle: Buffer): PlanComparison {
  const regions: Region[] = [];
  let off = 0;
  for (const id of b.workload.outputs) {
    const a = b.workload.arrays.get(id)!;
    const n = a.elements * width(a);
    if (out.length < off + n) return { ok: false, line: `the plan's outputs ended inside ${id}` };
    regions.push({ device: b.home, array: a, lo: 0, hi: a.shape[0], data: out.subarray(off, off + n) });
    off += n;
  }
  return compareRegions(b, regions, oracle);
}
