import { assignedScalars, canonicalLoop, type Expr, type Func, type Stmt } from '../csyntax/index.js';
import { Poly, polyOf } from './poly.js';

/** One access to a pointer parameter: its index as a polynomial (undefined when not affine in known names) and the loops around it. */
export interface Access {
  array: string;
  index?: Poly;
  write: boolean;
  loops: Loop[];
  /** The whole index is an element of this (integer) pointer parameter: `x[idx[i]]`. */
  through?: string;
  /** The index is the variable of a loop over a CSR row (`for (k = P[i]; k < P[i + 1]; k++) vals[k]`): P. */
  csr?: string;
}
interface Loop {
  v: string;
  /** A loop from P[e] to P[e + 1]: a row of the row pointers P. */
  csr?: string;
  lo?: Poly;
  /** Inclusive upper end. */
  last?: Poly;
}

export type ShapeResult = { ok: true; shape: Poly[] } | { ok: false; why: string };

/**
 * The accesses a kernel makes to its pointer parameters, read from the syntax tree: indices as
 * polynomials over sizes and loop variables (int locals defined once are substituted, pointers
 * offset from a parameter followed), with each enclosing loop's range.
 */
export function collectAccesses(fn: Func, pointers: string[], constants: ReadonlyMap<string, Poly> = new Map()): { accesses: Access[]; escapes: Map<string, string> } {
  const accesses: Access[] = [];
  const escapes = new Map<string, string>();
  const reassigned = assignedScalars(fn.body);
  const defs = new Map<string, Poly>(constants);
  const alias = new Map<string, { array: string; offset?: Poly }>();
  for (const p of pointers) alias.set(p, { array: p, offset: Poly.const(0) });

  const visitExpr = (e: Expr, loops: Loop[], write = false): void => {
    switch (e.k) {
      case 'index': {
        const base = pointerOf(e.arr);
        if (base) {
          const idx = polyOf(e.idx, defs);
          let inner = e.idx;
          while (inner.k === 'cast') inner = inner.arg;
          const through = inner.k === 'index' && base.offset?.isConst() && base.offset.constValue() === 0 ? pointerOf(inner.arr)?.array : undefined;
          const row = loops.find((l) => l.csr && idx?.equals(Poly.v(l.v)));
          accesses.push({ array: base.array, index: base.offset && idx ? base.offset.add(idx) : undefined, write, loops, through, csr: row?.csr });
        } else visitExpr(e.arr, loops);
        visitExpr(e.idx, loops);
        return;
      }
      case 'un':
        if (e.op === '*') {
          const base = pointerOf(e.arg);
          if (base) {
            accesses.push({ array: base.array, index: base.offset, write, loops });
            return;
          }
        }
        if (e.op === '++' || e.op === '--') {
          moved(e.arg);
          visitExpr(e.arg, loops, true);
        }
        visitExpr(e.arg, loops);
        return;
      case 'post':
        moved(e.arg);
        visitExpr(e.arg, loops, true);
        visitExpr(e.arg, loops);
        return;
      case 'assign':
        if (e.op !== '=') moved(e.l);
        visitExpr(e.l, loops, true);
        if (e.op !== '=') visitExpr(e.l, loops);
        visitExpr(e.r, loops);
        if (e.l.k === 'id' && alias.has(e.l.name) && !pointers.includes(e.l.name)) alias.set(e.l.name, { array: alias.get(e.l.name)!.array });
        return;
      case 'call':
        for (const a of e.args) {
          const base = pointerOf(a);
          if (base) escapes.set(base.array, `passed to ${e.fn.k === 'id' ? e.fn.name : 'a function'}()`);
          else visitExpr(a, loops);
        }
        return;
      case 'bin':
      case 'comma':
        visitExpr(e.l, loops);
        visitExpr(e.r, loops);
        return;
      case 'cond':
        [e.c, e.t, e.f].forEach((x) => visitExpr(x, loops));
        return;
      case 'cast':
        visitExpr(e.arg, loops);
        return;
      default:
        return;
    }
  };
  /** `P[e]` to `P[e + 1]` for an array P: the loop runs over a row of row pointers. */
  const rowOf = (lo: Expr, hi: Expr): string | undefined => {
    if (lo.k !== 'index' || hi.k !== 'index') return undefined;
    const p = pointerOf(lo.arr);
    const q = pointerOf(hi.arr);
    const a = polyOf(lo.idx, defs);
    const b = polyOf(hi.idx, defs);
    return p && q && p.array === q.array && a && b && b.sub(a).equals(Poly.const(1)) ? p.array : undefined;
  };
  /** A pointer walked through its array (`q++`, `q += s`): where it points is no longer read from the syntax. */
  const moved = (e: Expr): void => {
    if (e.k === 'id' && alias.has(e.name)) escapes.set(alias.get(e.name)!.array, `walked by pointer ${e.name} (${e.name}++ or ${e.name} +=)`);
  };
  /** `A`, `A + e`, `&A[e]`, or a local pointer set from one of those. */
  const pointerOf = (e: Expr): { array: string; offset?: Poly } | undefined => {
    if (e.k === 'id') return alias.get(e.name);
    if (e.k === 'cast') return pointerOf(e.arg);
    if (e.k === 'bin' && (e.op === '+' || e.op === '-')) {
      const b = pointerOf(e.l);
      if (b) {
        const off = polyOf(e.r, defs);
        return { array: b.array, offset: b.offset && off ? b.offset.add(e.op === '+' ? off : off.scale(-1)) : undefined };
      }
      const c = e.op === '+' ? pointerOf(e.r) : undefined;
      if (c) {
        const off = polyOf(e.l, defs);
        return { array: c.array, offset: c.offset && off ? c.offset.add(off) : undefined };
      }
    }
    if (e.k === 'un' && e.op === '&' && e.arg.k === 'index') {
      const b = pointerOf(e.arg.arr);
      if (b) {
        const off = polyOf(e.arg.idx, defs);
        return { array: b.array, offset: b.offset && off ? b.offset.add(off) : undefined };
      }
    }
    return undefined;
  };

  const visit = (s: Stmt, loops: Loop[]): void => {
    switch (s.k) {
      case 'block':
        s.body.forEach((x) => visit(x, loops));
        return;
      case 'decl':
        for (const d of s.decls) {
          if (!d.init) continue;
          const p = d.ptr ? pointerOf(d.init) : undefined;
          if (p) {
            // a pointer reassigned later is followed no further (its offset is unknown)
            alias.set(d.name, reassigned.has(d.name) ? { array: p.array } : p);
            continue;
          }
          visitExpr(d.init, loops);
          const v = !d.ptr && !d.dims.length && /\b(int|long|size_t|short|unsigned|ptrdiff_t|int\d+_t|uint\d+_t)\b/.test(s.type) && !reassigned.has(d.name) ? polyOf(d.init, defs) : undefined;
          if (v) defs.set(d.name, v);
        }
        return;
      case 'expr':
        visitExpr(s.e, loops);
        return;
      case 'for': {
        const c = canonicalLoop(s);
        if (s.init) visit(s.init, loops);
        let loop: Loop = { v: '?' };
        if (c) {
          const lo = polyOf(c.lo, defs);
          const hi = polyOf(c.hi, defs);
          loop = { v: c.v, lo, last: hi?.sub(Poly.const(1)), csr: rowOf(c.lo, c.hi) };
        } else if (s.cond) visitExpr(s.cond, loops);
        const inner = [...loops, loop];
        if (c) {
          visitExpr(c.lo, loops);
          visitExpr(c.hi, loops);
        }
        visit(s.body, inner);
        return;
      }
      case 'while':
      case 'do':
        visitExpr(s.cond, loops);
        visit(s.body, [...loops, { v: '?' }]);
        return;
      case 'if':
        visitExpr(s.cond, loops);
        visit(s.then, loops);
        if (s.else) visit(s.else, loops);
        return;
      case 'return':
        if (s.e) visitExpr(s.e, loops);
        return;
      default:
        return;
    }
  };
  visit(fn.body, []);
  return { accesses, escapes };
}

/** Sizes at which a symbolic comparison is judged (positive sizes, small and large, mixed). */
function samples(symbols: string[]): Record<string, number>[] {
  const vals = [1, 2, 3, 5, 8, 13, 64, 100, 1000, 4097];
  return Array.from({ length: 12 }, (_, k) => Object.fromEntries(symbols.map((s, i) => [s, vals[(k * 3 + i * 7 + (k >> 1) * i) % vals.length]])));
}

const nonNegative = (p: Poly, symbols: string[]) => samples(symbols).every((s) => p.evaluate(s) >= -1e-9);

/** The largest value of an index over its loops' ranges (innermost first); undefined when not affine in a loop variable, or a range is unknown. */
function maxOver(p: Poly, loops: Loop[], symbols: string[], min = false): Poly | undefined {
  let x = p;
  for (const l of [...loops].reverse()) {
    if (!x.uses(l.v)) continue;
    if (l.v === '?' || !l.lo || !l.last) return undefined;
    const c = x.coeff(l.v);
    if (!c) return undefined;
    if ([...c.vars()].some((v) => !symbols.includes(v))) return undefined;
    const up = nonNegative(c, symbols);
    const down = nonNegative(c.scale(-1), symbols);
    if (!up && !down) return undefined;
    x = x.subst(l.v, up !== min ? l.last : l.lo);
  }
  return [...x.vars()].every((v) => symbols.includes(v)) ? x : undefined;
}

/** The largest of several polynomials at every sample size, if one is. */
function largest(ps: Poly[], symbols: string[]): Poly | undefined {
  return ps.find((p) => ps.every((q) => nonNegative(p.sub(q), symbols)));
}

/**
 * The shape of an array from its accesses: `A[i*K + k]` over i < M, k < K is [M, K]. Strides are
 * the non-constant coefficients of loop variables; the index is divided by them (outermost first),
 * each remainder must stay inside its stride, and the outermost extent is the largest quotient + 1.
 */
export function inferShape(array: string, accesses: Access[], symbols: string[]): ShapeResult {
  const all = accesses.filter((a) => a.array === array);
  if (!all.length) return { ok: false, why: `${array} is never indexed in the function` };
  // Accesses through an index array (`x[idx[i]]`) or over CSR rows say nothing of the extent; the others do.
  const mine = all.filter((a) => !a.through && !a.csr);
  if (!mine.length) return { ok: false, why: all[0].through ? `${array} is indexed only through the integer array ${all[0].through}` : `${array} is indexed only over the rows of the row pointers ${all[0].csr}` };
  if (mine.some((a) => !a.index)) return { ok: false, why: `an index of ${array} is not an affine expression of the sizes and loop variables` };
  const strides: Poly[] = [];
  for (const a of mine)
    for (const l of a.loops) {
      const c = a.index!.coeff(l.v);
      if (!c) return { ok: false, why: `an index of ${array} is not linear in loop variable ${l.v}` };
      if (!c.isConst() && !strides.some((s) => s.equals(c))) strides.push(c);
    }
  // A coefficient that is another stride plus a constant (`L[i*n + i]`: n + 1 beside n) is that stride and a column offset.
  for (let i = strides.length - 1; i >= 0; i--) if (strides.some((t, j) => j !== i && strides[i].sub(t).isConst())) strides.splice(i, 1);
  const sample = samples(symbols)[6];
  strides.sort((a, b) => b.evaluate(sample) - a.evaluate(sample));
  for (let i = 1; i < strides.length; i++) if (strides[i - 1].divmod(strides[i]).r.terms.size) return { ok: false, why: `the strides of ${array} (${strides.map((s) => s.toString(symbols)).join(', ')}) do not divide one another` };
  // A row stride with a whole factor (`in[(2*i)*(2*w) + 2*j]`: 4w) may be a narrower row taken every
  // few rows: the narrowest row every index still fits in (2w, so [2h, 2w], not [h, 4w]).
  if (strides.length === 1) {
    const g = [...strides[0].terms.values()].reduce((x, c) => gcd(x, Math.abs(c)), 0);
    for (let d = g; d > 1; d--) {
      if (g % d || !Number.isInteger(g)) continue;
      const narrow = splitBy(array, mine, [strides[0].scale(1 / d)], symbols);
      if (narrow.ok) return narrow;
    }
  }
  return splitBy(array, mine, strides, symbols);
}

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

/** Split every index by the strides (outermost first); each part must stay within its dimension; the outer extent is the largest quotient + 1. */
function splitBy(array: string, mine: Access[], strides: Poly[], symbols: string[]): ShapeResult {
  const dims: Poly[] = [];
  for (let i = 1; i < strides.length; i++) dims.push(strides[i - 1].divmod(strides[i]).q);
  if (strides.length) dims.push(strides.at(-1)!);
  const outer: Poly[] = [];
  for (const a of mine) {
    let rest = a.index!;
    const parts: Poly[] = [];
    for (const s of strides) {
      const { q, r } = rest.divmod(s);
      parts.push(q);
      rest = r;
    }
    parts.push(rest);
    const lo = parts.map((p) => maxOver(p, a.loops, symbols, true));
    if (lo.some((x) => !x || !nonNegative(x, symbols))) return { ok: false, why: `an index of ${array} may be negative, or its range is not known` };
    const hi = parts.map((p) => maxOver(p, a.loops, symbols));
    if (hi.some((x) => !x)) return { ok: false, why: `the range of an index of ${array} is not known (a loop bound that is not an expression of the sizes)` };
    for (let k = 1; k < parts.length; k++) if (!nonNegative(dims[k - 1].sub(hi[k]!.add(Poly.const(1))), symbols)) return { ok: false, why: `an index of ${array} runs past its row (${dims[k - 1].toString(symbols)})` };
    outer.push(hi[0]!.add(Poly.const(1)));
  }
  const first = largest(outer, symbols);
  if (!first) return { ok: false, why: `the extent of ${array} is the largest of ${outer.map((o) => o.toString(symbols)).join(', ')}, which depends on the sizes` };
  return { ok: true, shape: [first, ...dims] };
}
