import { elementCount, evalExpr, type ArrayParam, type Size, type Target } from '../targets/index.js';
import { valueBounds } from '../targets/params.js';
import { exprChildren, FLOAT_TYPE, readProgram, showExpr, walkExpr, type CExpr, type CProgram } from './c-expr.js';
import { intTypeOf } from './c-int-types.js';
import { scopeLoopVariables, unscoped } from './loop-scopes.js';
import type { PathBudget } from './size-paths.js';

/**
 * Data-dependent paths: a kernel that compares a value read from an integer array (a CSR row's
 * length, `rowptr[M]`, a key) or derived from a scalar parameter with a constant the check plan
 * never draws (a row longer than 1,000 entries, key 1023, alpha == 0.5f), or that counts in a
 * narrow integer type (a 16-bit counter per key), is wrong only on inputs a random plan misses. Each
 * such constant becomes inputs drawn at and around it: the scalar at the constant and at its
 * neighbours in the target's precision; an index array holding the constant and its neighbours
 * (the bound raised to hold them); an index array of one value repeated, or a CSR structure with
 * every entry in one row, whose length (the repeat count, the row length, the total) is the
 * constant and its neighbours. A constant whose inputs exceed the check budget rejects (fail closed).
 */
export interface InputEdge {
  /** Scalars fixed at these values. */
  scalars?: Record<string, number>;
  /** Integer arrays that must hold these values (where their bounds allow). */
  contains?: Record<string, number[]>;
  /** Integer arrays whose entries are lumped: one value repeated (index, range), or all in one row (CSR). */
  lumped?: string[];
}

export interface EdgeCase {
  size: Size;
  edge: InputEdge;
}

interface Boundary {
  constant: number;
  /** Sources the compared value derives from: scalar or integer-array names. */
  sources: Set<string>;
  line: number;
  text: string;
}

const CMP = new Set(['<', '>', '<=', '>=', '==', '!=']);
/** Most edge cases one candidate gets (beyond: refused, fail closed). */
export const MAX_EDGE_CASES = 48;
const SMALL = 160;
/** Past a 16-bit counter's top: one key this often, one row this long (see the backstop in dataEdges). */
const BACKSTOP = 2 ** 16 + 1;

/** What each name's value derives from (scalar parameters, reads of integer input arrays), to a fixed point. */
class Taint {
  /** Names that point into an integer input array (the parameter itself, or a pointer set from it). */
  readonly arrays = new Map<string, string>();
  readonly values = new Map<string, Set<string>>();
  private readonly defs = new Map<string, CExpr[]>();

  constructor(
    private readonly t: Target,
    private readonly prog: CProgram,
  ) {
    const def = (name: string, e: CExpr) => this.defs.set(name, [...(this.defs.get(name) ?? []), e]);
    for (const d of prog.decls) if (d.init) def(d.name, d.init);
    for (const root of [...prog.exprs, ...prog.cases])
      walkExpr(root, (e) => {
        if (e.k === 'assign' && e.l.k === 'id') def(e.l.name, e.r);
      });
    for (const a of t.arrays) if (a.int && a.role !== 'out') this.arrays.set(a.name, a.name);
    for (const p of t.scalars) if (!('fixed' in p.value)) this.values.set(p.name, new Set([p.name]));
    const pointers = new Set(prog.decls.filter((d) => d.pointer || d.array).map((d) => d.name));
    for (let changed = true; changed;) {
      changed = false;
      for (const [name, es] of this.defs) {
        if (pointers.has(name)) {
          // p = rowptr (+ k): p points into rowptr.
          const base = es.map((e) => this.pointsInto(e)).find((x) => x);
          if (base && !this.arrays.has(name)) (this.arrays.set(name, base), (changed = true));
          continue;
        }
        const mine = this.values.get(name) ?? new Set<string>();
        const before = mine.size;
        for (const e of es) this.sources(e).forEach((s) => mine.add(s));
        if (mine.size !== before) (this.values.set(name, mine), (changed = true));
      }
    }
  }

  private pointsInto(e: CExpr): string | undefined {
    if (e.k === 'id') return this.arrays.get(e.name);
    if (e.k === 'cast') return this.pointsInto(e.a);
    if (e.k === 'bin' && (e.op === '+' || e.op === '-')) return this.pointsInto(e.l) ?? (e.op === '+' ? this.pointsInto(e.r) : undefined);
    if (e.k === 'un' && e.op === '&' && e.a.k === 'index') return this.pointsInto(e.a.a);
    return undefined;
  }

  /** Sources an expression's value derives from (an element read carries its array, not its index's sources). */
  sources(e: CExpr, out = new Set<string>()): Set<string> {
    if (e.k === 'id') this.values.get(e.name)?.forEach((s) => out.add(s));
    else if (e.k === 'index') {
      const a = this.pointsInto(e.a);
      if (a) out.add(a);
    } else if (e.k === 'un' && e.op === '*') {
      const a = this.pointsInto(e.a);
      if (a) out.add(a);
    } else if (e.k !== 'member' && e.k !== 'sizeof') for (const c of exprChildren(e)) this.sources(c, out);
    return out;
  }
}

/** A constant's value (literals, casts, arithmetic of constants, enumerators, constant locals), or undefined. */
function constant(e: CExpr, prog: CProgram, real: 'float' | 'double', depth = 0): number | undefined {
  if (depth > 8) return undefined;
  const rec = (x: CExpr) => constant(x, prog, real, depth + 1);
  switch (e.k) {
    case 'num':
      return e.v;
    case 'un': {
      const a = rec(e.a);
      return a === undefined ? undefined : e.op === '-' ? -a : e.op === '+' ? a : undefined;
    }
    case 'cast': {
      const a = rec(e.a);
      if (a === undefined) return undefined;
      if (/\bfloat\b/.test(e.type) || (e.type === 'real' && real === 'float')) return Math.fround(a);
      return FLOAT_TYPE.test(e.type) ? a : Math.trunc(a);
    }
    case 'bin': {
      const l = rec(e.l);
      const r = l === undefined ? undefined : rec(e.r);
      if (l === undefined || r === undefined) return undefined;
      const v = { '+': l + r, '-': l - r, '*': l * r, '/': r ? l / r : NaN, '<<': l * 2 ** r } as Record<string, number>;
      return Number.isFinite(v[e.op]) ? v[e.op] : undefined;
    }
    case 'id': {
      const en = prog.enums.get(e.name);
      if (en) return rec(en);
      const ds = prog.decls.filter((d) => d.name === e.name);
      if (ds.length !== 1 || !ds[0].init || ds[0].pointer || ds[0].array || !/\bconst\b/.test(ds[0].type)) return undefined;
      return rec(ds[0].init);
    }
    default:
      return undefined;
  }
}

/** Every comparison (and modulus, mask, shift, division) of a data- or scalar-derived value with a constant. */
export function dataBoundaries(t: Target, preprocessed: string): Boundary[] {
  const prog = readProgram(scopeLoopVariables(preprocessed));
  const taint = new Taint(t, prog);
  const out: Boundary[] = [];
  const add = (c: number, side: CExpr, whole: CExpr, line: number) => {
    const sources = taint.sources(side);
    if (sources.size && Number.isFinite(c)) out.push({ constant: c, sources, line, text: unscoped(showExpr(whole)) });
  };
  const visit = (e: CExpr) => {
    if (e.k !== 'bin' || !(CMP.has(e.op) || ['%', '/', '&', '>>'].includes(e.op))) return;
    const l = constant(e.l, prog, t.real);
    const r = constant(e.r, prog, t.real);
    if (l !== undefined && r !== undefined) return;
    if (r !== undefined) add(e.op === '&' ? r + 1 : r, e.l, e, e.line);
    else if (l !== undefined && CMP.has(e.op)) add(l, e.r, e, e.line);
    else if (CMP.has(e.op))
      // Both sides vary: a constant added to either (k + 1000 < e) is still a boundary.
      for (const side of [e.l, e.r])
        walkExpr(side, (x) => {
          if (x.k !== 'bin' || (x.op !== '+' && x.op !== '-')) return;
          const c = constant(x.r, prog, t.real) ?? constant(x.l, prog, t.real);
          if (c !== undefined) add(Math.abs(c), e, e, e.line);
        });
  };
  for (const root of [...prog.exprs, ...prog.cases]) walkExpr(root, visit);
  // A counter kept in a narrow integer type (an 8- or 16-bit count per key) wraps at its top: the
  // count of one value is the boundary, so every integer input array is lumped there.
  const ints = t.arrays.filter((a) => a.int && a.role !== 'out').map((a) => a.name);
  const counted = new Set<string>();
  for (const root of prog.exprs)
    walkExpr(root, (e) => {
      const target = (e.k === 'post' || e.k === 'un') && (e.op === '++' || e.op === '--') ? e.a : e.k === 'assign' && (e.op === '+=' || e.op === '-=') ? e.l : undefined;
      const base = target?.k === 'index' ? target.a : target;
      if (base?.k === 'id') counted.add(base.name);
    });
  for (const d of prog.decls) {
    const it = intTypeOf(d.type);
    if (!it || it.bits > 16 || !counted.has(d.name) || d.pointer || !ints.length) continue;
    out.push({ constant: it.unsigned ? 2 ** it.bits - 1 : 2 ** (it.bits - 1) - 1, sources: new Set(ints), line: d.line, text: `${d.type} ${d.name} (a ${it.bits}-bit counter)` });
  }
  return out;
}

/** The neighbours of a value in a precision (the next representable number below and above). */
function neighbours(x: number, real: 'float' | 'double'): number[] {
  const f = real === 'float';
  const buf = new ArrayBuffer(8);
  const fv = new Float32Array(buf, 0, 1);
  const iv = new Int32Array(buf, 0, 1);
  const dv = new Float64Array(buf);
  const lv = new BigInt64Array(buf);
  const step = (v: number, up: boolean): number => {
    if (v === 0) return (up ? 1 : -1) * (f ? 2 ** -149 : 2 ** -1074);
    if (f) {
      fv[0] = v;
      iv[0] += v > 0 === up ? 1 : -1;
      return fv[0];
    }
    dv[0] = v;
    lv[0] += v > 0 === up ? 1n : -1n;
    return dv[0];
  };
  const v = f ? Math.fround(x) : x;
  return [step(v, false), v, step(v, true)];
}

/** The smallest size from `base` (one symbol raised) at which `probe` reaches `v`, with the fewest elements. */
function reach(t: Target, base: Size, probe: (z: Size) => number, v: number, elements: (z: Size) => number): Size | undefined {
  let best: Size | undefined;
  for (const s of t.sizeSymbols) {
    const at = (x: number) => ({ ...base, [s]: x });
    if (probe(at(base[s])) >= v) return base;
    let hi = Math.max(2, base[s] * 2);
    while (hi < 2 ** 40 && probe(at(hi)) < v) hi *= 2;
    if (probe(at(hi)) < v) continue;
    let lo = base[s];
    while (hi - lo > 1) {
      const m = Math.floor((lo + hi) / 2);
      if (probe(at(m)) >= v) hi = m;
      else lo = m;
    }
    if (!best || elements(at(hi)) < elements(best)) best = at(hi);
  }
  return best;
}

function safeBounds(a: ArrayParam, z: Size): { lo: number; hi: number } | undefined {
  try {
    const b = valueBounds(a, z);
    return typeof b === 'string' ? undefined : b;
  } catch {
    return undefined;
  }
}

export type DataEdges = { cases: EdgeCase[]; boundaries: number } | { untestable: string; line?: number };

/** The inputs that put every data- or scalar-derived boundary on both sides (within the budget, or refused). */
export function dataEdges(t: Target, preprocessed: string, budget: PathBudget, elements: (z: Size) => number): DataEdges {
  const bounds = dataBoundaries(t, preprocessed);
  const base: Size = {};
  for (const s of t.sizeSymbols) base[s] = Math.max(1, t.limits[s].min);
  for (const z of t.checkSizes) for (const s of t.sizeSymbols) base[s] = Math.max(base[s], Math.min(z[s], SMALL));
  const work = (z: Size) => Math.max(1, evalExpr(t.flops, z));
  const cases = new Map<string, EdgeCase>();
  const put = (size: Size, edge: InputEdge, b: Boundary): string | undefined => {
    if (work(size) > budget.caseWork || elements(size) > budget.caseElements)
      return `compares \`${b.text}\` (a value derived from ${[...b.sources].join(', ')}) with ${b.constant}; inputs on both sides need ${Object.entries(size)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')} (${work(size).toExponential(1)} operations, ${elements(size).toExponential(1)} elements), above the check budget`;
    cases.set(JSON.stringify({ size, edge }), { size, edge });
    return undefined;
  };
  for (const b of bounds) {
    const c = b.constant;
    for (const src of b.sources) {
      const scalar = t.scalars.find((p) => p.name === src);
      if (scalar && !('fixed' in scalar.value)) {
        const [lo, hi] = scalar.value.range;
        for (const v of neighbours(c, t.real)) if (v >= lo && v <= hi) put(base, { scalars: { [src]: v } }, b);
        continue;
      }
      const a = t.arrays.find((x) => x.name === src);
      if (!a?.values) continue;
      const lumps = [c - 1, c, c + 1].filter((v) => v >= 1 && Number.isInteger(v));
      for (const v of lumps) {
        // The lumped length: a CSR structure's total (every entry in one row), or the repeat count of one value.
        const probe = a.values.kind === 'csr_rowptr' ? (z: Size) => safeBounds(a, z)?.hi ?? -1 : (z: Size) => elementCount(a, z);
        const z = reach(t, base, probe, v, elements);
        if (!z) continue;
        const why = put(z, { lumped: [src] }, b);
        if (why) return { untestable: why, line: b.line };
      }
      if (a.values.kind !== 'csr_rowptr' && Number.isInteger(c)) {
        // The values themselves: the bound raised until the constant and its neighbours are in range.
        const want = [c - 1, c, c + 1];
        const z = reach(t, base, (q) => safeBounds(a, q)?.hi ?? -1, Math.max(...want), elements);
        const lo = z && safeBounds(a, z)?.lo;
        if (!z || lo === undefined) continue;
        const inRange = want.filter((v) => v >= lo);
        if (inRange.length) {
          const why = put(z, { contains: { [src]: inRange } }, b);
          if (why) return { untestable: why, line: b.line };
        }
      }
    }
  }
  // A backstop for counters the reading misses (a narrow type behind a typedef, a struct member):
  // every integer input array lumped at 2^16 + 1 (one key that often, one row that long), where the
  // budget allows. It is one case per array, shared by every candidate of a plan.
  for (const a of t.arrays) {
    if (!a.int || a.role === 'out' || !a.values) continue;
    const probe = a.values.kind === 'csr_rowptr' ? (z: Size) => safeBounds(a, z)?.hi ?? -1 : (z: Size) => elementCount(a, z);
    const z = reach(t, base, probe, BACKSTOP, elements);
    if (z && work(z) <= budget.caseWork && elements(z) <= budget.caseElements) cases.set(JSON.stringify({ size: z, edge: { lumped: [a.name] } }), { size: z, edge: { lumped: [a.name] } });
  }
  if (cases.size > MAX_EDGE_CASES) return { untestable: `compares values derived from its integer arrays or scalars with ${bounds.length} constants, needing ${cases.size} edge inputs, more than the check budget of ${MAX_EDGE_CASES}` };
  return { cases: [...cases.values()], boundaries: bounds.length };
}
