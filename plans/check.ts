import type { BoundPlan } from './bind.js';

export type StaticVerdict = { ok: true; order: number[] } | { ok: false; reason: string };

const INITIAL = -1;

/**
 * CEP's static check of a bound plan, before anything runs: the devices do not share cores; the
 * steps cannot deadlock (their order on each device plus `after` is acyclic); every node's slices
 * cover its rows exactly once (no dropped slice, no overlap); no rows of an array are written twice
 * on one device; every step reads rows that a step ordered before it wrote on that device (or
 * inputs on home), so a skipped transfer or a read of stale data is refused; and the outputs end on
 * home. `order` is a topological order of the steps.
 */
export function checkPlan(b: BoundPlan): StaticVerdict {
  const { steps, workload: w, devices } = b;
  const reject = (reason: string): StaticVerdict => ({ ok: false, reason });

  const owner = new Map<string, string>();
  for (const d of devices)
    for (const c of d.cores ?? []) {
      const key = `${d.acp}#${c}`;
      if (owner.has(key)) return reject(`devices ${owner.get(key)} and ${d.name} share core ${c}: devices of a plan run side by side on their own cores`);
      owner.set(key, d.name);
    }
  for (const d of devices) if (!d.cores && !d.worker) for (const e of devices) if (e !== d && e.acp === d.acp && !e.worker) return reject(`devices ${d.name} and ${e.name} are the same ${d.kind} (${d.acp}); one of them is the whole device`);

  // Happens-before: the previous step on the same device, and `after`.
  const preds: number[][] = steps.map((s) => [...s.after]);
  const last = new Map<number, number>();
  for (const s of steps) {
    const p = last.get(s.device);
    if (p !== undefined) preds[s.index].push(p);
    last.set(s.device, s.index);
  }
  const order = topo(preds);
  if (typeof order === 'string')
    return reject(
      `the steps wait on each other (${order
        .split(',')
        .map((i) => steps[Number(i)].id)
        .join(' -> ')}): the plan would deadlock`,
    );
  const words = Math.ceil(steps.length / 32);
  const anc = steps.map(() => new Uint32Array(words));
  for (const i of order)
    for (const p of preds[i]) {
      anc[i][p >> 5] |= 1 << (p & 31);
      for (let k = 0; k < words; k++) anc[i][k] |= anc[p][k];
    }
  const before = (a: number, s: number) => a === INITIAL || (anc[s][a >> 5] & (1 << (a & 31))) !== 0;

  // Coverage: each node's run steps partition its rows.
  for (const n of w.nodes) {
    const extent = n.rows ? n.rows.extent : 1;
    const placed: Segment[] = [];
    for (const s of steps)
      if (s.op === 'run' && s.node === n) {
        const o = firstOverlap(placed, s.rows[0], s.rows[1]);
        if (o) return reject(`node ${n.name}: ${rowsText(n.rows ? n.rows.symbol : '', o.lo, o.hi)} run by both ${steps[o.step].label} and ${s.label} (overlapping slices)`);
        placed.push({ lo: s.rows[0], hi: s.rows[1], step: s.index });
      }
    const gap = firstGap(placed, 0, extent);
    if (gap) return reject(n.rows ? `node ${n.name}: rows ${gap.lo}..${gap.hi - 1} along ${n.rows.symbol} are run by no step (a dropped slice)` : `node ${n.name} is run by no step`);
  }

  // Which step wrote which rows of each array on each device (the inputs on home: INITIAL).
  const written = new Map<string, Segment[]>();
  const segs = (device: number, id: string) => {
    const key = `${device}|${id}`;
    if (!written.has(key)) written.set(key, []);
    return written.get(key)!;
  };
  for (const id of w.inputs) segs(b.home, id).push({ lo: 0, hi: w.arrays.get(id)!.shape[0], step: INITIAL });
  const label = (i: number) => (i === INITIAL ? 'the inputs' : steps[i].label);
  for (const s of steps)
    for (const x of s.writes) {
      const list = segs(x.device, x.array.id);
      const o = firstOverlap(list, x.lo, x.hi);
      if (o) return reject(`${x.array.id} ${rowsText('', o.lo, o.hi)} on ${devices[x.device].name} written twice, by ${label(o.step)} and ${s.label}`);
      list.push({ lo: x.lo, hi: x.hi, step: s.index });
    }

  for (const i of order) {
    const s = steps[i];
    for (const x of s.reads) {
      const list = segs(x.device, x.array.id);
      const gap = firstGap(list, x.lo, x.hi);
      if (gap) return reject(`${s.label} reads ${x.array.id} ${rowsText('', gap.lo, gap.hi)} on ${devices[x.device].name}, which no step writes there (a skipped transfer: copy them there first)`);
      for (const seg of list) {
        if (seg.hi <= x.lo || seg.lo >= x.hi || before(seg.step, i)) continue;
        const wr = seg.step;
        const fix = steps[wr].device === s.device && wr > i ? `list it after "${steps[wr].id}" on ${devices[s.device].name}` : `add "${steps[wr].id}" to its after`;
        return reject(`${s.label} reads ${x.array.id} ${rowsText('', Math.max(seg.lo, x.lo), Math.min(seg.hi, x.hi))} on ${devices[x.device].name} without waiting for ${steps[wr].label}, which writes them (stale data: ${fix})`);
      }
    }
  }

  for (const id of w.outputs) {
    const gap = firstGap(segs(b.home, id), 0, w.arrays.get(id)!.shape[0]);
    if (gap) return reject(`output ${id} ${rowsText('', gap.lo, gap.hi)} never reaches the home device ${devices[b.home].name} (copy them there)`);
  }
  return { ok: true, order };
}

/** Rows [lo, hi) and the step that ran or wrote them. */
interface Segment {
  lo: number;
  hi: number;
  step: number;
}

/** The first rows of [lo, hi) a segment already holds (the lowest such segment's part), if any. */
function firstOverlap(list: Segment[], lo: number, hi: number): Segment | undefined {
  let best: Segment | undefined;
  for (const s of list) if (s.lo < hi && s.hi > lo && (!best || s.lo < best.lo)) best = s;
  return best && { lo: Math.max(best.lo, lo), hi: Math.min(best.hi, hi), step: best.step };
}

/** The first rows of [lo, hi) no segment holds, if any. */
function firstGap(list: Segment[], lo: number, hi: number): { lo: number; hi: number } | undefined {
  let at = lo;
  for (const s of [...list].sort((a, b) => a.lo - b.lo)) {
    if (s.hi <= at) continue;
    if (s.lo > at) return { lo: at, hi: Math.min(s.lo, hi) };
    at = s.hi;
    if (at >= hi) return undefined;
  }
  return at < hi ? { lo: at, hi } : undefined;
}

function rowsText(symbol: string, lo: number, hi: number): string {
  return `${hi - lo === 1 ? `row ${lo}` : `rows ${lo}..${hi - 1}`}${symbol ? ` along ${symbol}` : ''}`;
}

/** Kahn's order over predecessor lists, or the indices of a cycle joined by commas. */
function topo(preds: number[][]): number[] | string {
  const n = preds.length;
  const succ: number[][] = preds.map(() => []);
  const indeg = preds.map((p) => p.length);
  preds.forEach((ps, i) => ps.forEach((p) => succ[p].push(i)));
  const ready = indeg.flatMap((d, i) => (d === 0 ? [i] : []));
  const order: number[] = [];
  while (ready.length) {
    const i = ready.shift()!;
    order.push(i);
    for (const j of succ[i]) if (--indeg[j] === 0) ready.push(j);
  }
  if (order.length === n) return order;
  const left = new Set([...preds.keys()].filter((i) => !order.includes(i)));
  let i = [...left][0];
  const seen: number[] = [];
  while (!seen.includes(i)) {
    seen.push(i);
    i = preds[i].find((p) => left.has(p))!;
  }
  const cycle = seen.slice(seen.indexOf(i)).reverse();
  return [...cycle, cycle[0]].join(',');
}
