import { assignedScalars, canonicalLoop, evalInt, forEachExpr, forEachStmt, printExpr, type Expr, type For, type Func, type Stmt } from '../../../csyntax/index.js';

/**
 * Dependence analysis by bounded execution: the kernel's loops and integer scalars are run at small
 * sizes (the target's own check sizes, or small values of its size parameters) and every array
 * access is recorded with the iteration it belongs to. Two accesses conflict when they touch the
 * same element of the same array and one writes; a loop carries a dependence when two conflicting
 * accesses belong to different iterations of one execution of it. This sees through what a
 * syntactic test cannot (linearised indices, symbolic strides, triangular and tiled loops) and is
 * exact for the sizes run; distinct pointer parameters are distinct arrays (the harness never
 * passes overlapping ones, and the `restrict` move says so to the compiler). Whatever it cannot
 * run (a while loop, a loop bound or a written element's index read from data) makes every question
 * about the loops around it answer "dependent": it fails closed. Reads of const pointer parameters
 * (inputs, which nothing writes) at indices read from data (x[idx[i]]) conflict with nothing.
 */

interface LoopCtx {
  loop: For;
  exec: number;
  value: number;
  /** Index of the top-level statement of the loop's body this access is under. */
  part: number;
}

interface Access {
  array: string;
  /** Element key, or undefined if the index could not be evaluated. */
  at: string | undefined;
  write: boolean;
  /** Read-modify-write by `+=` / `-=` (a candidate for an array reduction). */
  update: boolean;
  loops: LoopCtx[];
  seq: number;
}

export interface Trace {
  accesses: Access[];
  /** Loops some access under which could not be evaluated (questions about them fail closed). */
  opaque: Set<For>;
  complete: boolean;
  /** Stopped at the access limit (the size is too large to run; other sizes answer). */
  limited: boolean;
  /** Each loop's most iterations in one execution (a loop that never ran twice shows no dependence it carries). */
  trips: Map<For, number>;
}

type Env = Record<string, number | undefined>;

class Unrunnable extends Error {}
class TooLarge extends Error {}

const INT_TYPE = /^(const\s+)?(int|long|long long|unsigned|unsigned int|unsigned long|size_t|ptrdiff_t|int64_t|int32_t|short)$/;

/** The tile size the analysis runs tile loops with (see `shrinkTiles`). */
const ANALYSIS_TILE = 2;

/**
 * Tile loops (`X_t += T` over blocks of a point loop bounded by `X_t + T`, as the tile move writes
 * them) run with tiles of 2 while `run` runs, so that the small sizes the analysis can afford hold
 * several tiles: a tile larger than every size run would show one tile and no dependence between
 * tiles. Tiles of 2 split every pair of iterations that tiles of T (a multiple of 2, both from 0)
 * split, in the same order, so every dependence between tiles of T is seen too. The program is
 * restored afterwards (the same nodes: the analysis answers about the program's own loops).
 */
function shrinkTiles<T>(fn: Func, run: () => T): T {
  const undo: (() => void)[] = [];
  const sizes = new Map<string, string>();
  forEachStmt(fn.body, (st) => {
    if (st.k !== 'for' || !st.step || st.step.k !== 'assign' || st.step.op !== '+=' || st.step.r.k !== 'num') return;
    const v = canonicalLoop(st)?.v;
    const t = Number(st.step.r.text);
    if (!v || !/_t$/.test(v) || !(t > ANALYSIS_TILE) || t % ANALYSIS_TILE) return;
    sizes.set(v, st.step.r.text);
    const step = st.step;
    st.step = { ...step, r: { k: 'num', text: String(ANALYSIS_TILE) } };
    undo.push(() => (st.step = step));
  });
  if (sizes.size)
    forEachExpr(fn.body, (e) => {
      if (e.k === 'bin' && e.op === '+' && e.l.k === 'id' && e.r.k === 'num' && sizes.get(e.l.name) === e.r.text) {
        const r = e.r;
        e.r = { k: 'num', text: String(ANALYSIS_TILE) };
        undo.push(() => (e.r = r));
      }
    });
  try {
    return run();
  } finally {
    undo.reverse().forEach((u) => u());
  }
}

/** Run a kernel's loop structure at one size, recording array accesses (at most `limit` of them); tile loops run with small tiles (`shrinkTiles`). */
export function trace(fn: Func, sizes: Record<string, number>, limit = 12_000): Trace {
  return shrinkTiles(fn, () => traceAsWritten(fn, sizes, limit));
}

function traceAsWritten(fn: Func, sizes: Record<string, number>, limit: number): Trace {
  const accesses: Access[] = [];
  const opaque = new Set<For>();
  const execs = new Map<For, number>();
  const trips = new Map<For, number>();
  const locals = new Map<string, number>();
  let seq = 0;
  const stack: LoopCtx[] = [];
  const env: Env = {};
  for (const p of fn.params) if (!p.ptr && INT_TYPE.test(p.type.trim())) env[p.name] = sizes[p.name];
  const readOnly = new Set(fn.params.filter((p) => p.ptr.includes('*') && /\bconst\b/.test(p.type) && !/\*\s*const\b/.test(p.ptr)).map((p) => p.name));
  const record = (array: string, at: string | undefined, write: boolean, update: boolean) => {
    if (accesses.length >= limit) throw new TooLarge('too many accesses');
    // An element the analysis cannot place makes the loops around it opaque, unless it is a read of
    // a const pointer parameter: an input no iteration writes (the harness keeps inputs read-only),
    // so it conflicts with nothing (x[idx[i]] in a gather).
    if (at === undefined && (write || !readOnly.has(array))) stack.forEach((c) => opaque.add(c.loop));
    accesses.push({ array: locals.has(array) ? `${array}#${locals.get(array)}` : array, at, write, update, loops: stack.map((c) => ({ ...c })), seq: seq++ });
  };
  /** Accesses of an expression, in evaluation order (reads before the write they feed). */
  const visit = (e: Expr, scope: Env): void => {
    switch (e.k) {
      case 'index': {
        const { array, at } = element(e, scope);
        if (array) record(array, at, false, false);
        else visit(e.arr, scope);
        visit(e.idx, scope);
        return;
      }
      case 'assign': {
        visit(e.r, scope);
        if (e.l.k === 'index') {
          const { array, at } = element(e.l, scope);
          visitIndexParts(e.l, scope);
          if (array) {
            if (e.op !== '=') record(array, at, false, true);
            record(array, at, true, e.op === '+=' || e.op === '-=');
          }
        } else if (e.l.k === 'id') {
          if (e.l.name in scope) assignScalar(e.l.name, e.op, evalInt(e.r, scope), scope);
        } else visit(e.l, scope);
        return;
      }
      case 'post':
      case 'un':
        if ((e.op === '++' || e.op === '--') && e.arg.k === 'index') {
          const { array, at } = element(e.arg, scope);
          visitIndexParts(e.arg, scope);
          if (array) {
            record(array, at, false, true);
            record(array, at, true, true);
          }
        } else if ((e.op === '++' || e.op === '--') && e.arg.k === 'id') {
          if (e.arg.name in scope) assignScalar(e.arg.name, e.op === '++' ? '+=' : '-=', 1, scope);
        } else visit(e.arg, scope);
        return;
      case 'bin':
      case 'comma':
        visit(e.l, scope);
        visit(e.r, scope);
        return;
      case 'cond':
        visit(e.c, scope);
        visit(e.t, scope);
        visit(e.f, scope);
        return;
      case 'call':
        e.args.forEach((a) => visit(a, scope));
        return;
      case 'cast':
        visit(e.arg, scope);
        return;
      default:
        return;
    }
  };
  const visitIndexParts = (e: Extract<Expr, { k: 'index' }>, scope: Env) => {
    if (e.arr.k === 'index') visitIndexParts(e.arr, scope);
    visit(e.idx, scope);
  };
  /** The array and element an index expression names: A[i], or A[i][j] (a local 2-D array). */
  const element = (e: Extract<Expr, { k: 'index' }>, scope: Env): { array?: string; at?: string } => {
    const parts: (number | undefined)[] = [];
    let cur: Expr = e;
    while (cur.k === 'index') {
      parts.unshift(evalInt(cur.idx, scope));
      cur = cur.arr;
    }
    if (cur.k !== 'id') return {};
    return { array: cur.name, at: parts.some((p) => p === undefined) ? undefined : parts.join(',') };
  };
  const assignScalar = (name: string, op: string, v: number | undefined, scope: Env) => {
    const old = scope[name];
    const nv = op === '=' ? v : old === undefined || v === undefined ? undefined : op === '+=' ? old + v : op === '-=' ? old - v : op === '*=' ? old * v : undefined;
    // assignments reach the scope that declared the name
    let s: object | null = scope;
    while (s && !Object.prototype.hasOwnProperty.call(s, name)) s = Object.getPrototypeOf(s) as object | null;
    ((s as Env | null) ?? scope)[name] = nv;
  };
  const run = (s: Stmt, scope: Env): void => {
    switch (s.k) {
      case 'block': {
        const inner = Object.create(scope) as Env;
        s.body.forEach((b) => run(b, inner));
        return;
      }
      case 'decl':
        for (const d of s.decls) {
          if (d.init) visit(d.init, scope);
          if (d.dims.length) {
            locals.set(d.name, (locals.get(d.name) ?? 0) + 1);
            scope[d.name] = undefined;
          } else scope[d.name] = !d.ptr && INT_TYPE.test(s.type.trim()) && d.init ? evalInt(d.init, scope) : undefined;
        }
        return;
      case 'expr':
        visit(s.e, scope);
        return;
      case 'if': {
        visit(s.cond, scope);
        const c = evalInt(s.cond, scope);
        // a condition on data: both branches' accesses count (a superset)
        if (c === undefined || c) run(s.then, Object.create(scope) as Env);
        if (s.else && (c === undefined || !c)) run(s.else, Object.create(scope) as Env);
        return;
      }
      case 'for': {
        const c = canonicalLoop(s);
        const scopeFor = Object.create(scope) as Env;
        if (s.init?.k === 'expr') visit(s.init.e, scopeFor);
        const lo = c && evalInt(c.lo, scopeFor);
        if (!c) throw new Unrunnable(`loop not runnable: ${s.cond ? printExpr(s.cond) : ''}`);
        const exec = (execs.get(s) ?? 0) + 1;
        execs.set(s, exec);
        const parts = s.body.k === 'block' ? s.body.body : [s.body];
        if (lo === undefined || evalInt(c.hi, scopeFor) === undefined) {
          // Bounds read from data (k from rowptr[i] to rowptr[i + 1]): the body runs once as any
          // iteration, with the loop variable and every scalar the body assigns unknown, so each
          // access that depends on them is one the analysis cannot place (opaque, unless it reads an
          // input). The loop itself answers nothing (opaque, never seen twice); loops around it
          // still see every element this body may write at a known index.
          opaque.add(s);
          scopeFor[c.v] = undefined;
          for (const [name] of assignedScalars(s.body)) if (name in scopeFor) assignScalar(name, '=', undefined, scopeFor);
          const body = Object.create(scopeFor) as Env;
          parts.forEach((p, i) => {
            stack.push({ loop: s, exec, value: 0, part: i });
            try {
              run(p, body);
            } finally {
              stack.pop();
            }
          });
          for (const [name] of assignedScalars(s.body)) if (name in scope) assignScalar(name, '=', undefined, scope);
          if (!c.declared) assignScalar(c.v, '=', undefined, scope);
          return;
        }
        for (let v = lo, n = 1; ; v += c.step, n++) {
          scopeFor[c.v] = v;
          const hi = evalInt(c.hi, scopeFor);
          if (hi === undefined) throw new Unrunnable('loop bound not runnable');
          if (v >= hi) break;
          if (n > (trips.get(s) ?? 0)) trips.set(s, n);
          const body = Object.create(scopeFor) as Env;
          parts.forEach((p, i) => {
            stack.push({ loop: s, exec, value: v, part: i });
            try {
              run(p, body);
            } finally {
              stack.pop();
            }
          });
        }
        if (!c.declared) assignScalar(c.v, '=', undefined, scope);
        return;
      }
      case 'while':
      case 'do':
      case 'raw':
        throw new Unrunnable(`${s.k} statement`);
      case 'return':
        if (s.e) visit(s.e, scope);
        return;
      default:
        return;
    }
  };
  try {
    run(fn.body, env);
    return { accesses, opaque, complete: true, limited: false, trips };
  } catch (e) {
    if (!(e instanceof Unrunnable) && !(e instanceof TooLarge)) throw e;
    return { accesses, opaque, complete: false, limited: e instanceof TooLarge, trips };
  }
}

/** Pairs of conflicting accesses (same element, one a write), the earlier first; `keep` filters pairs before they are listed. */
function conflicts(t: Trace, within: For, keep: (a: Access, b: Access, ca: LoopCtx, cb: LoopCtx) => boolean): boolean {
  const buckets = new Map<string, Access[]>();
  for (const a of t.accesses) {
    const c = a.loops.find((l) => l.loop === within);
    if (!c || a.at === undefined) continue;
    const key = `${c.exec}|${a.array}|${a.at}`;
    (buckets.get(key) ?? buckets.set(key, []).get(key)!).push(a);
  }
  for (const list of buckets.values()) {
    if (!list.some((a) => a.write)) continue;
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i];
        const b = list[j];
        if (!a.write && !b.write) continue;
        if (
          keep(
            a,
            b,
            a.loops.find((l) => l.loop === within)!,
            b.loops.find((l) => l.loop === within)!,
          )
        )
          return true;
      }
  }
  return false;
}

/** Does a statement index any array? */
function arrayTouches(s: Stmt): boolean {
  let yes = false;
  forEachExpr(s, (e) => (yes ||= e.k === 'index'));
  return yes;
}

/** The most points a time tile's shift or skew may move a part per step (beyond it the tiles are mostly empty). */
const MAX_SKEW = 16;

const valueOf = (a: Access, loop: For) => a.loops.find((l) => l.loop === loop)?.value;

/**
 * What the analysis answers about a kernel. Every answer is "illegal" when a trace could not be
 * run to its end or an access under the loop asked about could not be evaluated.
 */
export class Dependences {
  private readonly memo = new WeakMap<For, Map<string, unknown>>();
  constructor(private readonly traces: Trace[]) {}

  /** Each question is answered once per loop (a search asks the same ones of a program many times). */
  private once<T>(loop: For, key: string, answer: () => T): T {
    let m = this.memo.get(loop);
    if (!m) this.memo.set(loop, (m = new Map()));
    if (!m.has(key)) m.set(key, answer());
    return m.get(key) as T;
  }

  /** Traces at each size; those too large to run within the limit are left out while another ran (none ran: every answer is "illegal"). */
  static of(fn: Func, sizes: Record<string, number>[]): Dependences {
    const traces = sizes.map((s) => trace(fn, s));
    const usable = traces.filter((t) => !t.limited);
    return new Dependences(usable.length ? usable : traces);
  }

  private ok(loop: For, test: (t: Trace) => boolean): boolean {
    if (!this.traces.length || !this.ranTwice(loop)) return false;
    return this.traces.every((t) => t.complete && !t.opaque.has(loop) && test(t));
  }

  /**
   * Some size ran the loop at least twice in one execution: otherwise no dependence it carries
   * could show (a tile loop whose tile is larger than every size run), and questions about it fail closed.
   */
  ranTwice(loop: For): boolean {
    return this.traces.some((t) => t.complete && (t.trips.get(loop) ?? 0) >= 2);
  }

  /** Arrays a loop carries a dependence on, other than those that are only updated by += / -= (array reductions). */
  carried(loop: For): { arrays: Set<string>; reductions: Set<string> } | undefined {
    return this.once(loop, 'carried', () => this.carriedNow(loop));
  }

  private carriedNow(loop: For): { arrays: Set<string>; reductions: Set<string> } | undefined {
    const arrays = new Set<string>();
    const reductions = new Set<string>();
    let ran = false;
    const okay = this.ok(loop, (t) => {
      ran = true;
      const updatedOnly = new Map<string, boolean>();
      for (const a of t.accesses) if (a.loops.some((l) => l.loop === loop)) updatedOnly.set(a.array, (updatedOnly.get(a.array) ?? true) && a.update);
      // an element written in one execution of the loop and touched at two of its iterations: carried
      const seen = new Map<string, { value: number; many: boolean; write: boolean; array: string }>();
      for (const a of t.accesses) {
        const c = a.loops.find((l) => l.loop === loop);
        if (!c || a.at === undefined) continue;
        const key = `${c.exec}|${a.array}|${a.at}`;
        const s = seen.get(key);
        if (!s) seen.set(key, { value: c.value, many: false, write: a.write, array: a.array });
        else {
          s.many ||= s.value !== c.value;
          s.write ||= a.write;
        }
      }
      for (const s of seen.values()) if (s.many && s.write) (updatedOnly.get(s.array) ? reductions : arrays).add(s.array);
      return true;
    });
    return okay && ran ? { arrays, reductions } : undefined;
  }

  /** No dependence carried by the loop: its iterations may run in any order (parallel, simd). */
  independent(loop: For): boolean {
    const c = this.carried(loop);
    return !!c && !c.arrays.size && !c.reductions.size;
  }

  /** Iterations independent except for arrays only accumulated into (`X[..] += ...`): parallel with an array reduction. */
  independentUpToReductions(loop: For): Set<string> | undefined {
    const c = this.carried(loop);
    return c && !c.arrays.size ? c.reductions : undefined;
  }

  /**
   * Interchanging `outer` with `inner` (or jamming copies of `outer` into `inner`) is legal when no
   * dependence goes forward in one and backward in the other: for conflicting accesses a before b,
   * not (outer(a) < outer(b) and inner(a) > inner(b)).
   */
  interchangeable(outer: For, inner: For): boolean {
    return this.once(outer, 'x', () => new Map<For, boolean>()).get(inner) ?? this.interchangeableNow(outer, inner);
  }

  private interchangeableNow(outer: For, inner: For): boolean {
    const answer = this.ranTwice(inner) && this.ok(outer, (t) => !t.opaque.has(inner) && !conflicts(t, outer, (a, b, ca, cb) => ca.value < cb.value && (valueOf(a, inner) ?? 0) > (valueOf(b, inner) ?? 0)));
    this.once(outer, 'x', () => new Map<For, boolean>()).set(inner, answer);
    return answer;
  }

  /** Tiling a nest is legal when it is fully permutable: every dependence has a non-negative distance in every loop of it. */
  permutable(nest: For[]): boolean {
    return this.once(
      nest[0],
      `permutable ${nest.length}`,
      () => nest.every((l) => this.ranTwice(l)) && this.ok(nest[0], (t) => !nest.some((l) => t.opaque.has(l)) && !conflicts(t, nest[0], (a, b) => nest.some((l) => (valueOf(b, l) ?? 0) - (valueOf(a, l) ?? 0) < 0))),
    );
  }

  /** Unroll-and-jam of `outer`: every loop inside it may be interchanged with it. */
  jammable(outer: For, inners: For[]): boolean {
    return inners.every((l) => this.interchangeable(outer, l));
  }

  /**
   * Fusing `first` with the loop right after it (same header) runs iteration i of both before i+1 of
   * either: illegal when an access of the second loop conflicts with one of the first at a later
   * iteration (the second would now come first).
   */
  fusable(first: For, second: For): boolean {
    return this.once(first, 'fuse', () => this.ranTwice(second) && this.ok(first, (t) => !t.opaque.has(second) && fusionOk(t, first, second)));
  }

  /**
   * Time tiling of `time`, a loop whose body is the loops `parts` in order (an iterated stencil's
   * sweeps): each instance of part s at time t and point i is placed at c = i + shift[s] + skew·t,
   * and tiles over (t, c) are legal when every dependence goes forward in both t and c (fully
   * permutable). Instances at one t keep their order: within a tile the parts still run one after
   * the other, each over its points in order. The shifts are the least that keep every dependence
   * between parts at one t forward in c (a later part reads what an earlier one wrote up to that
   * many points ahead), the skew the least that does so across time steps. Undefined when no such
   * shifts and skew (at most MAX_SKEW points a step) exist at the sizes run, when they differ
   * between sizes (distances that grow with a size: no constant skew holds at the bench size) or
   * fewer than two sizes ran two steps (nothing to compare), or the analysis could not run.
   */
  timeSkew(time: For, parts: For[]): { shifts: number[]; skew: number } | undefined {
    return this.once(time, `time-skew ${parts.length}`, () => this.timeSkewNow(time, parts));
  }

  private timeSkewNow(time: For, parts: For[]): { shifts: number[]; skew: number } | undefined {
    if (!this.ranTwice(time) || !parts.some((p) => this.ranTwice(p))) return undefined;
    let answer: { shifts: number[]; skew: number } | undefined;
    let agree = true;
    let sizes = 0;
    const ok = this.ok(time, (t) => {
      if (parts.some((p) => t.opaque.has(p))) return false;
      if ((t.trips.get(time) ?? 0) < 2) return true;
      const here = skewAt(t, time, parts);
      if (!here) return false;
      // the distances must not grow with the sizes: every size that ran two steps needs the same
      agree &&= !answer || (answer.skew === here.skew && answer.shifts.every((d, i) => d === here.shifts[i]));
      answer ??= here;
      sizes++;
      return true;
    });
    // one size cannot show that the distances stay put (a scratch array reused at every step, as
    // doitgen's sum, needs a skew as large as the sweep: at one size it looked constant)
    if (!ok || !agree || !answer || sizes < 2) return undefined;
    if (answer.skew > MAX_SKEW || answer.shifts.some((d) => Math.abs(d) > MAX_SKEW)) return undefined;
    return answer;
  }

  /**
   * Distributing a loop's body after statement `at` runs every instance of the first part before any
   * of the second: illegal when an access in the second part conflicts with a later one in the first.
   */
  distributable(loop: For, at: number): boolean {
    return this.once(loop, `distribute ${at}`, () => this.partsRan(loop) && this.ok(loop, (t) => !conflicts(t, loop, (a, b, ca, cb) => ca.part >= at && cb.part < at && ca.value < cb.value)));
  }

  /**
   * Every statement of a loop's body that touches an array touched one at some size run: a part
   * that never ran (an unrolled loop wider than every size, a tile's point loop the analysis's
   * small tiles skip) shows no dependence, and questions about splitting the body fail closed.
   */
  private partsRan(loop: For): boolean {
    const stmts = loop.body.k === 'block' ? loop.body.body : [loop.body];
    const need = stmts.flatMap((st, i) => (arrayTouches(st) ? [i] : []));
    const seen = new Set<number>();
    for (const t of this.traces) for (const a of t.accesses) for (const l of a.loops) if (l.loop === loop) seen.add(l.part);
    return need.every((i) => seen.has(i));
  }
}

/**
 * The least shifts and skew for time tiling (see Dependences.timeSkew) at one trace's sizes: at one
 * step, part a before part b needs shift[b] - shift[a] >= max(i_a - i_b); dt steps apart,
 * skew·dt >= max(i_a - i_b) + shift[a] - shift[b]. Undefined for a conflict outside that model (an
 * access under no part, or one at a step that runs a later part or point first).
 */
function skewAt(t: Trace, time: For, parts: For[]): { shifts: number[]; skew: number } | undefined {
  const same = new Map<string, number>();
  const across = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string, v: number) => m.set(k, Math.max(m.get(k) ?? -Infinity, v));
  const point = (a: Access) => {
    const s = parts.findIndex((p) => a.loops.some((l) => l.loop === p));
    return s < 0 ? undefined : { s, i: valueOf(a, parts[s])! };
  };
  const outOfModel = conflicts(t, time, (a, b, ca, cb) => {
    const pa = point(a);
    const pb = point(b);
    if (!pa || !pb) return true;
    if (ca.value === cb.value) {
      if (pa.s > pb.s || (pa.s === pb.s && pa.i > pb.i)) return true;
      if (pa.s !== pb.s) bump(same, `${pa.s},${pb.s}`, pa.i - pb.i);
    } else bump(across, `${pa.s},${pb.s},${cb.value - ca.value}`, pa.i - pb.i);
    return false;
  });
  if (outOfModel) return undefined;
  const shifts = parts.map(() => 0);
  for (let b = 1; b < parts.length; b++) {
    let d: number | undefined;
    for (let a = 0; a < b; a++) {
      const m = same.get(`${a},${b}`);
      if (m !== undefined) d = Math.max(d ?? -Infinity, shifts[a] + m);
    }
    shifts[b] = d ?? 0;
  }
  let skew = 0;
  for (const [k, m] of across) {
    const [a, b, dt] = k.split(',').map(Number);
    skew = Math.max(skew, Math.ceil((m + shifts[a] - shifts[b]) / dt));
  }
  return { shifts, skew };
}

/** No element touched by both loops (one of them writing) in one execution of their parent at a later iteration of the first than of the second. */
function fusionOk(t: Trace, first: For, second: For): boolean {
  const ids = new Map<For, number>();
  const idOf = (l: For) => ids.get(l) ?? (ids.set(l, ids.size), ids.size - 1);
  const buckets = new Map<string, { maxFirstAny: number; maxFirstWrite: number; minSecondAny: number; minSecondWrite: number }>();
  for (const a of t.accesses) {
    if (a.at === undefined) continue;
    const i = a.loops.findIndex((l) => l.loop === first || l.loop === second);
    if (i < 0) continue;
    const c = a.loops[i];
    const parent = a.loops
      .slice(0, i)
      .map((l) => `${idOf(l.loop)}:${l.exec}:${l.value}`)
      .join('/');
    const key = `${parent}|${a.array}|${a.at}`;
    const b = buckets.get(key) ?? { maxFirstAny: -Infinity, maxFirstWrite: -Infinity, minSecondAny: Infinity, minSecondWrite: Infinity };
    if (c.loop === first) {
      b.maxFirstAny = Math.max(b.maxFirstAny, c.value);
      if (a.write) b.maxFirstWrite = Math.max(b.maxFirstWrite, c.value);
    } else {
      b.minSecondAny = Math.min(b.minSecondAny, c.value);
      if (a.write) b.minSecondWrite = Math.min(b.minSecondWrite, c.value);
    }
    buckets.set(key, b);
  }
  for (const b of buckets.values()) if (b.minSecondAny < b.maxFirstWrite || b.minSecondWrite < b.maxFirstAny) return false;
  return true;
}
