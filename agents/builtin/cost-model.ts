import { arrayAccesses, canonicalLoop, coeffOf, evalInt, forEachExpr, printExpr, type Expr, type For } from '../../csyntax/index.js';
import { isInnermost, loopSites } from './transforms/loops.js';
import { isSharedLoop as isParallel, isTeamLoop as isTeam, reductionClause } from './transforms/openmp.js';
import { kernelOf, type Program } from './transforms/program.js';

/**
 * A static estimate of a kernel's run time, in arbitrary units, used only to rank the writer's
 * proposals (the A/B timing decides). Per innermost loop it counts each distinct memory access by
 * its stride and by whether its reuse is caught in cache:
 *   - contiguous (stride ±1): 1/lanes, times 3 if the data it reuses across an outer loop does not
 *     fit in L2 (e.g. all of B in an untiled i-k-j matmul); a time loop that only slides a skewed
 *     tile's rows carries reuse as a loop the access does not name does;
 *   - strided: 4 (a cache line and often a TLB entry per element), 1 if its lines are reused by an
 *     outer loop within an L1-sized footprint (e.g. a tiled transpose); twice that for a write;
 *   - invariant: free, unless written (a reduction through memory: serial);
 * plus serial reductions, calls (vectorised or not), and writes to one array at rows a symbol apart
 * (the compiler cannot prove them independent and stops vectorising). Weighted by trip counts at the
 * bench size, divided by cores under `omp parallel`.
 */
export interface CostContext {
  sizes: Record<string, number>;
  cores: number;
  vectorLanes: number;
  l1Bytes?: number;
  l2Bytes?: number;
  elementBytes?: number;
  /** Bytes of one element of each array where they differ from elementBytes (integer arrays: int, long). */
  arrayBytes?: Record<string, number>;
}

export { evalInt };

export function trips(f: For, env: Record<string, number>): number {
  const c = canonicalLoop(f);
  if (!c) return 64;
  const lo = evalInt(c.lo, env);
  const hi = evalInt(c.hi, env);
  if (lo === undefined || hi === undefined) return 64;
  return Math.max(1, (hi - lo) / c.step);
}

const isSimd = (f: For) => f.pragmas.some((p) => /\bsimd\b/.test(p));

/** Loop variables an index depends on, directly or through the tile loop driving a point loop. */
export function dependsOn(idx: Expr, chain: For[], at: number): boolean {
  const c = canonicalLoop(chain[at]);
  if (!c) return true;
  if (coeffOf(idx, c.v) !== 0) return true;
  // a tile loop moves the point loops whose start it is
  return chain.slice(at + 1).some((inner) => {
    const ci = canonicalLoop(inner);
    return !!ci && coeffOf(ci.lo, c.v) !== 0 && coeffOf(idx, ci.v) !== 0;
  });
}

/**
 * How far one iteration of `v` moves a bound that is an affine expression or a min/max (a ternary)
 * of such: the largest shift among its branches, or undefined where a branch is not affine in v.
 */
function boundShift(e: Expr, v: string): number | undefined {
  if (e.k === 'cond') {
    const t = boundShift(e.t, v);
    const f = boundShift(e.f, v);
    return t === undefined || f === undefined ? undefined : Math.max(t, f);
  }
  const c = coeffOf(e, v);
  return typeof c === 'number' ? Math.abs(c) : undefined;
}

/**
 * Whether chain[at] only slides the window of the point loops inside it, by less than the window
 * per iteration, without appearing in the access itself: a time-skewed tile's step loop moves its
 * rows by the skew each step, so most of what one step touches the next step touches again (reuse
 * carried by the time loop). A tile loop that moves its points by a whole tile does not slide.
 */
export function slides(idx: Expr, chain: For[], at: number, trip: number[]): boolean {
  const c = canonicalLoop(chain[at]);
  if (!c || coeffOf(idx, c.v) !== 0) return false;
  let moved = false;
  for (let k = at + 1; k < chain.length; k++) {
    const ck = canonicalLoop(chain[k]);
    if (!ck) return false;
    const lo = boundShift(ck.lo, c.v);
    const hi = boundShift(ck.hi, c.v);
    if (lo === undefined || hi === undefined) return false;
    if (lo === 0 && hi === 0) continue;
    if (Math.max(lo, hi) * Math.abs(c.step) >= trip[k]) return false;
    moved = true;
  }
  return moved;
}

/** Elements touched by one pass of the loops inside chain[at], for an access. */
export function footprint(idx: Expr, chain: For[], at: number, trip: number[]): number {
  let n = 1;
  for (let k = at + 1; k < chain.length; k++) if (dependsOn(idx, chain, k)) n *= trip[k];
  return n;
}

function innermostCost(chain: For[], trip: number[], program: Program, ctx: CostContext): number {
  const f = chain[chain.length - 1];
  const v = canonicalLoop(f)?.v ?? '';
  const fastMath = program.flags.includes('-ffast-math');
  const vec = isSimd(f) || fastMath;
  const l1 = ctx.l1Bytes ?? 32 * 1024;
  const l2 = ctx.l2Bytes ?? 1024 * 1024;
  const eb = ctx.elementBytes ?? 4;
  const distinct = new Map<string, { idx: Expr; array: string; coeff: ReturnType<typeof coeffOf>; write: boolean }>();
  for (const a of arrayAccesses(f.body)) {
    const key = `${a.array}[${printExpr(a.idx)}]`;
    const prev = distinct.get(key);
    distinct.set(key, { idx: a.idx, array: a.array, coeff: coeffOf(a.idx, v), write: (prev?.write ?? false) || a.write });
  }
  let cost = 0;
  let serial = false;
  const inner = chain.length - 1;
  // Contiguous accesses to one array a constant few elements apart (a stencil's A[i-1], A[i], A[i+1],
  // or the copies an unrolling makes) walk the same cache lines: one stream, which advances `step`
  // elements an iteration. Counting each as its own made unrolling a stencil look 2-3x cheaper; it
  // ran 3x slower (the compiler had vectorised the rolled loop).
  const step = Math.abs(canonicalLoop(f)?.step ?? 1) || 1;
  const streams: { array: string; idx: Expr }[] = [];
  // Strided accesses to one array a constant few elements apart (the copies an unroll-and-jam of a
  // loop the array is contiguous in makes: a transpose's B[j*R+i], B[j*R+i+1], ...) are packed by
  // the compiler into one vector access of the group (SLP): they share its lines, so a group costs
  // as one strided access. A 4096x4096 transpose jammed by 16 in 128 tiles ran 5.1 ms, against 19
  // ms for the same tiles interchanged (contiguous stores, strided loads), hand-timed on 2 cores.
  const groups: { array: string; idx: Expr }[] = [];
  for (const a of distinct.values()) {
    if (a.coeff === 0) {
      if (a.write) serial = true;
      continue;
    }
    const contiguous = a.coeff === 1 || a.coeff === -1;
    if (contiguous) {
      if (streams.some((s) => apart(a, s) <= 64)) continue;
      streams.push({ array: a.array, idx: a.idx });
      // temporal reuse across the nearest outer loop the access does not depend on
      let c = 1 / ctx.vectorLanes;
      for (let k = inner - 1; k >= 0; k--)
        if (!dependsOn(a.idx, chain, k) || slides(a.idx, chain, k, trip)) {
          if (footprint(a.idx, chain, k, trip) * step * (ctx.arrayBytes?.[a.array] ?? eb) > l2 / 2) c *= 3;
          break;
        }
      cost += c * step;
    } else {
      if (groups.some((g) => apart(a, g) < ctx.vectorLanes)) continue;
      groups.push({ array: a.array, idx: a.idx });
      // spatial reuse of the lines across the nearest outer loop that walks them contiguously; a
      // strided write costs twice a strided read (each line is read for ownership, then written
      // back: a tiled transpose that writes along its rows ran 1.8-4.4x slower than one that reads
      // along them, on this project's machine)
      const w = a.write ? 2 : 1;
      let c = 4 * w;
      for (let k = inner - 1; k >= 0; k--) {
        const ck = canonicalLoop(chain[k]);
        const co = ck ? coeffOf(a.idx, ck.v) : 'nonaffine';
        if (co === 1 || co === -1) {
          if (footprint(a.idx, chain, k, trip) * 64 <= l1) c = w;
          break;
        }
      }
      cost += c;
    }
  }
  // writes to one array at rows a symbol apart: dependences the compiler cannot rule out
  const writes = [...distinct.values()].filter((a) => a.write && a.coeff !== 0);
  const aliasRisk = writes.some((a) => writes.some((b) => b !== a && b.array === a.array && !/^-?\d+$/.test(diffText(a.idx, b.idx))));
  if (aliasRisk) cost *= 3;
  const red = reductionClause(f);
  if (red) serial = true;
  let calls = 0;
  forEachExpr(f.body, (e) => {
    if (e.k === 'call') calls++;
  });
  cost += calls * (vec ? 8 / ctx.vectorLanes : 8);
  if (serial && !(vec && red !== null)) cost += 4;
  return cost;
}

/** How many elements apart two accesses are: a constant distance within one array, else Infinity. */
function apart(a: { array: string; idx: Expr }, b: { array: string; idx: Expr }): number {
  const d = a.array === b.array ? diffText(a.idx, b.idx) : '';
  return /^-?\d+$/.test(d) ? Math.abs(Number(d)) : Infinity;
}

/** The two index expressions' difference, printed after cancelling equal terms (constant: safe). */
function diffText(a: Expr, b: Expr): string {
  const terms = (e: Expr, sign: number, out: Map<string, number>) => {
    if (e.k === 'bin' && (e.op === '+' || e.op === '-')) {
      terms(e.l, sign, out);
      terms(e.r, e.op === '+' ? sign : -sign, out);
    } else if (e.k === 'num') out.set('#', (out.get('#') ?? 0) + sign * Number(e.text));
    else {
      const k = printExpr(e);
      out.set(k, (out.get(k) ?? 0) + sign);
    }
  };
  const m = new Map<string, number>();
  terms(a, 1, m);
  terms(b, -1, m);
  const rest = [...m].filter(([k, n]) => k !== '#' && n !== 0);
  return rest.length ? rest.map(([k, n]) => `${n}*${k}`).join('+') : String(m.get('#') ?? 0);
}

/**
 * The cost of entering a parallel loop once (threads woken, work split, a barrier at the end), in
 * the model's units (about one vector-lane access each): a few microseconds. A parallel loop deep
 * inside a nest pays it on every entry; a time loop's parallel rows pay it twice a step.
 */
const FORK_COST = 3000;
/** The barrier at the end of a worksharing loop inside a team (no threads woken): about a third of a fork. */
const BARRIER_COST = 1000;

/**
 * Entering an innermost loop once: its bounds (a skewed tile's are a min and a max), the vector
 * loop's set-up and its scalar remainder. Without it a time tile 16 points wide cost the same as
 * one 256 wide; in a hand-timed 1-D stencil the narrow one ran far slower.
 */
const ENTRY_COST = 4;

export function estimateCost(program: Program, ctx: CostContext): number {
  const fn = kernelOf(program);
  let total = 0;
  const entered = new Set<For>();
  for (const site of loopSites(fn.body)) {
    const f = site.loop;
    if (!isInnermost(f)) continue;
    const chain = [...site.outer, f];
    const env: Record<string, number> = { ...ctx.sizes };
    const trip: number[] = [];
    for (const l of chain) {
      trip.push(trips(l, env));
      const c = canonicalLoop(l);
      if (c) env[c.v] = evalInt(c.lo, env) ?? 0;
    }
    const weight = trip.reduce((w, t) => w * t, 1);
    let cost = weight * innermostCost(chain, trip, program, ctx) + (weight / trip[trip.length - 1]) * ENTRY_COST;
    const par = chain.findIndex(isParallel);
    const team = chain.findIndex(isTeam);
    const above = (k: number) => trip.slice(0, k).reduce((w, t) => w * t, 1);
    if (par >= 0) {
      cost /= ctx.cores;
      // waking the threads and the barrier after: once per entry into the parallel loop; inside a
      // team, the threads were woken once around it and each entry pays its barrier only
      const inTeam = team >= 0 && team < par;
      if (!entered.has(chain[par])) total += (inTeam ? BARRIER_COST : FORK_COST) * above(par);
      entered.add(chain[par]);
      if (inTeam && !entered.has(chain[team])) total += FORK_COST * above(team);
      if (inTeam) entered.add(chain[team]);
    }
    total += cost;
  }
  if (program.flags.includes('-funroll-loops')) total *= 0.98;
  if (fn.params.some((p) => p.ptr.includes('restrict'))) total *= 0.97;
  return total;
}
