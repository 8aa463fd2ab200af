import { canonicalLoop, coeffOf, forEachExpr, mapExpr, printExpr, type CanonicalLoop, type Expr, type For, type Func, type Stmt } from '../../../csyntax/index.js';
import { bodyStmts, loopSites } from './loops.js';
import { exprUses } from './restructure.js';

/**
 * A contraction: a rectangular nest computing, for every (m, n) of two outer loops,
 *   S(m, n) op= E(m, n, k...)   over reduction loops k... in order,
 * where S is either an array element X[o(m, n)] updated in place (direct form), or a scalar
 * accumulator initialised before the reduction loops and used by statements after them (acc form):
 *   for m: for n: { T acc = init; for k...: acc op= E; post(acc); }
 * Matrix products, A·Aᵀ, convolutions and matrix–vector products over two outer loops have this
 * shape. What is recognised here is proved legal to reorder by the conditions checked below: the
 * summand reads no array the nest writes, each (m, n) owns its output, and every loop is
 * rectangular, so the (m, n) iterations are independent and each keeps its own order over k.
 */
export interface Contraction {
  /** Index of the nest's outermost loop among the function's loop sites. */
  site: number;
  /** The two independent loops: `n` is the lane (vector) dimension, `m` the other; `outer` says which was outermost. */
  m: CanonicalLoop;
  n: CanonicalLoop;
  outer: 'm' | 'n';
  /** Reduction loops, outermost first (their headers are kept). */
  ks: CanonicalLoop[];
  /** Sum (+=, -=) or selection: min keeps E where E < S, max where E > S (the reference's own comparison). */
  op: ReduceOp;
  /** The summand. */
  e: Expr;
  /** Element type of the accumulation. */
  type: string;
  form: 'direct' | 'acc';
  /** Direct form, and acc form whose only post statement stores acc: the array and index that hold S. */
  store?: { array: string; idx: Expr };
  /** Acc form: the accumulator's name, its initial value, and the statements after the reduction. */
  acc?: { name: string; init: Expr; post: Stmt[] };
  /** Leaves of the summand (array reads) and the loops they depend on. */
  leaves: Leaf[];
}

export type ReduceOp = '+=' | '-=' | 'min' | 'max';

export interface Leaf {
  expr: Expr;
  array: string;
  usesM: boolean;
  usesN: boolean;
  /** Coefficient of n in the index (1: contiguous along lanes). */
  nCoeff: number | 'sym' | 'nonaffine';
}

/**
 * The update of the reduction: `x op= E`, `x = x + E` / `x = x - E`, or a selection of the
 * smaller or larger: `if (E < x) x = E;`, `x = E < x ? E : x;`, `x = fminf(x, E)` (and max
 * alike). A block may first name parts of E in temporaries (`real v = A[..] + B[..]; if (v < x) x = v;`):
 * they are folded into E.
 */
function accumulation(s: Stmt, lhs: (l: Expr) => boolean): { op: ReduceOp; l: Expr; e: Expr } | undefined {
  if (s.k === 'block') {
    const temps = new Map<string, Expr>();
    for (const x of s.body.slice(0, -1)) {
      if (x.k !== 'decl' || x.decls.length !== 1 || x.decls[0].ptr || x.decls[0].dims.length || !x.decls[0].init) return undefined;
      temps.set(x.decls[0].name, inline(x.decls[0].init, temps));
    }
    const last = s.body.at(-1);
    if (!last) return undefined;
    const u = accumulation(last, lhs);
    if (!u || [...temps.keys()].some((t) => exprUses(u.l, t))) return undefined;
    return { ...u, e: inline(u.e, temps) };
  }
  const same = (a: Expr, b: Expr) => printExpr(a) === printExpr(b);
  if (s.k === 'if' && !s.else) {
    const then = s.then.k === 'block' && s.then.body.length === 1 ? s.then.body[0] : s.then;
    const c = s.cond;
    if (then.k !== 'expr' || then.e.k !== 'assign' || then.e.op !== '=' || !lhs(then.e.l) || c.k !== 'bin') return undefined;
    const { l, r: e } = then.e;
    if (same(c.l, e) && same(c.r, l) && (c.op === '<' || c.op === '>')) return { op: c.op === '<' ? 'min' : 'max', l, e };
    if (same(c.l, l) && same(c.r, e) && (c.op === '<' || c.op === '>')) return { op: c.op === '>' ? 'min' : 'max', l, e };
    return undefined;
  }
  if (s.k !== 'expr' || s.e.k !== 'assign') return undefined;
  const a = s.e;
  if (!lhs(a.l)) return undefined;
  if (a.op === '+=' || a.op === '-=') return { op: a.op, l: a.l, e: a.r };
  if (a.op !== '=') return undefined;
  const r = a.r;
  if (r.k === 'bin' && (r.op === '+' || r.op === '-') && same(r.l, a.l)) return { op: r.op === '+' ? '+=' : '-=', l: a.l, e: r.r };
  if (r.k === 'cond' && r.c.k === 'bin' && (r.c.op === '<' || r.c.op === '>') && same(r.c.l, r.t) && same(r.c.r, a.l) && same(r.f, a.l)) return { op: r.c.op === '<' ? 'min' : 'max', l: a.l, e: r.t };
  if (r.k === 'call' && r.fn.k === 'id' && /^f(min|max)f?$/.test(r.fn.name) && r.args.length === 2) {
    const op = r.fn.name.includes('min') ? 'min' : 'max';
    if (same(r.args[0], a.l)) return { op, l: a.l, e: r.args[1] };
    if (same(r.args[1], a.l)) return { op, l: a.l, e: r.args[0] };
  }
  return undefined;
}

/** An expression with temporaries replaced by their values. */
function inline(e: Expr, temps: Map<string, Expr>): Expr {
  return mapExpr(e, (x) => (x.k === 'id' && temps.has(x.name) ? structuredClone(temps.get(x.name)!) : x));
}

/** A pure expression of array reads, names, numbers and + - * / (no calls, no side effects). */
function pureArithmetic(e: Expr): boolean {
  let ok = true;
  mapExpr(e, (x) => {
    if (x.k === 'call' || x.k === 'assign' || x.k === 'post' || x.k === 'comma' || x.k === 'str' || x.k === 'member' || x.k === 'init' || x.k === 'cond') ok = false;
    if (x.k === 'un' && x.op !== '-' && x.op !== '+') ok = false;
    return x;
  });
  return ok;
}

/** Outermost array reads of an expression; undefined if an array is read through anything but a name. */
function leavesOf(e: Expr, m: string, n: string): Leaf[] | undefined {
  const out: Leaf[] = [];
  let ok = true;
  const visit = (x: Expr): void => {
    switch (x.k) {
      case 'index':
        if (x.arr.k !== 'id') {
          ok = false;
          return;
        }
        out.push({ expr: x, array: x.arr.name, usesM: exprUses(x.idx, m), usesN: exprUses(x.idx, n), nCoeff: coeffOf(x.idx, n) });
        return;
      case 'bin':
        if (!['+', '-', '*', '/'].includes(x.op)) ok = false;
        visit(x.l);
        visit(x.r);
        return;
      case 'un':
      case 'cast':
        visit(x.arg);
        return;
      case 'id':
      case 'num':
        return;
      default:
        ok = false;
    }
  };
  visit(e);
  return ok ? out : undefined;
}

/** Arrays written anywhere in a statement. */
function writtenArrays(s: Stmt): Map<string, string[]> {
  const out = new Map<string, string[]>();
  forEachExpr(s, (x) => {
    const w = x.k === 'assign' ? x.l : (x.k === 'post' || (x.k === 'un' && (x.op === '++' || x.op === '--'))) && x.arg ? x.arg : undefined;
    if (w?.k === 'index' && w.arr.k === 'id') (out.get(w.arr.name) ?? out.set(w.arr.name, []).get(w.arr.name)!).push(printExpr(w.idx));
  });
  return out;
}

/** Array reads of an expression, as (array, printed index). */
function readsOf(e: Expr): { array: string; idx: string }[] {
  const out: { array: string; idx: string }[] = [];
  mapExpr(e, (x) => {
    if (x.k === 'index' && x.arr.k === 'id') out.push({ array: x.arr.name, idx: printExpr(x.idx) });
    return x;
  });
  return out;
}

function rectangular(loops: CanonicalLoop[]): boolean {
  const vars = loops.map((l) => l.v);
  return loops.every((l) => l.step === 1 && !vars.some((v) => exprUses(l.lo, v) || exprUses(l.hi, v)));
}

/** Scalars assigned in a statement other than the allowed ones. */
function assignsScalarOtherThan(s: Stmt, allowed: Set<string>): boolean {
  let bad = false;
  forEachExpr(s, (x) => {
    if (x.k === 'assign' && x.l.k === 'id' && !allowed.has(x.l.name)) bad = true;
    if ((x.k === 'post' || (x.k === 'un' && (x.op === '++' || x.op === '--'))) && x.arg.k === 'id' && !allowed.has(x.arg.name)) bad = true;
  });
  return bad;
}

/** The reduction nest inside a statement: perfect nest of canonical loops down to one statement. */
function reductionNest(s: Stmt): { loops: CanonicalLoop[]; inner: Stmt } | undefined {
  const loops: CanonicalLoop[] = [];
  let cur: Stmt = s;
  while (cur.k === 'for') {
    const c = canonicalLoop(cur);
    if (!c) return undefined;
    loops.push(c);
    const b = bodyStmts(cur);
    if (b.length !== 1) {
      // the innermost body: straight-line statements (temporaries, then the update)
      if (b.some((x) => x.k === 'for' || x.k === 'while' || x.k === 'do')) return undefined;
      cur = { k: 'block', body: b };
      break;
    }
    cur = b[0];
  }
  if (cur.k === 'block' && cur.body.length === 1) cur = cur.body[0];
  return loops.length ? { loops, inner: cur } : undefined;
}

/** Every contraction in a kernel (outermost nests first). */
export function findContractions(fn: Func, realType: string): Contraction[] {
  const params = new Set(fn.params.filter((p) => p.ptr.includes('*')).map((p) => p.name));
  const out: Contraction[] = [];
  loopSites(fn.body).forEach((site, index) => {
    const c = recognise(site.loop, index, params, realType);
    if (c) out.push(c);
  });
  return out;
}

function recognise(l1: For, site: number, params: Set<string>, realType: string): Contraction | undefined {
  const c1 = canonicalLoop(l1);
  const b1 = bodyStmts(l1);
  if (!c1 || b1.length !== 1 || b1[0].k !== 'for') return undefined;
  const l2 = b1[0];
  const c2 = canonicalLoop(l2);
  if (!c2) return undefined;
  const b2 = bodyStmts(l2);
  let form: Contraction['form'];
  let red: { loops: CanonicalLoop[]; inner: Stmt } | undefined;
  let acc: Contraction['acc'];
  let upd: { op: ReduceOp; l: Expr; e: Expr } | undefined;
  let type = realType;
  if (b2.length === 1 && b2[0].k === 'for') {
    // direct: for a: for b: for k...: X[o] op= E (the reduction loops are those o does not use)
    const nest = reductionNest(b2[0]);
    if (!nest) return undefined;
    upd = accumulation(nest.inner, (l) => l.k === 'index' && l.arr.k === 'id');
    if (!upd) return undefined;
    const all = [c1, c2, ...nest.loops];
    const idx = (upd.l as Extract<Expr, { k: 'index' }>).idx;
    const outer = all.filter((c) => exprUses(idx, c.v));
    if (outer.length !== 2) return undefined;
    red = { loops: all.filter((c) => !exprUses(idx, c.v)), inner: nest.inner };
    form = 'direct';
    // the two loops that index the output become m and n, whatever their place in the nest
    return finish({ site, a: outer[0], b: outer[1], red, upd, form, params, type, outerVar: c1.v });
  }
  // acc: for a: for b: { T acc = init; for k...: acc op= E; post }
  if (b2.length < 2 || b2[0].k !== 'decl' || b2[0].decls.length !== 1) return undefined;
  const d = b2[0];
  const decl = d.decls[0];
  if (decl.ptr || decl.dims.length || !decl.init) return undefined;
  const name = decl.name;
  type = d.type.replace(/\bconst\b/g, '').trim();
  if (!/^(float|double|real)$/.test(type)) return undefined;
  red = reductionNest(b2[1]);
  if (!red) return undefined;
  upd = accumulation(red.inner, (l) => l.k === 'id' && l.name === name);
  if (!upd) return undefined;
  const post = b2.slice(2);
  if (post.some((s) => s.k === 'for' || s.k === 'while' || s.k === 'do' || s.k === 'decl' || s.k === 'raw' || s.k === 'return' || s.k === 'break' || s.k === 'continue')) return undefined;
  acc = { name, init: decl.init, post };
  form = 'acc';
  return finish({ site, a: c1, b: c2, red, upd, form, params, type, acc, outerVar: c1.v });
}

function finish(x: {
  site: number;
  a: CanonicalLoop;
  b: CanonicalLoop;
  red: { loops: CanonicalLoop[]; inner: Stmt };
  upd: { op: ReduceOp; l: Expr; e: Expr };
  form: Contraction['form'];
  params: Set<string>;
  type: string;
  acc?: Contraction['acc'];
  outerVar: string;
}): Contraction | undefined {
  const { a, b, red, upd, form, params, acc } = x;
  const ks = red.loops;
  if (!ks.length || !rectangular([a, b, ...ks])) return undefined;
  if (!pureArithmetic(upd.e)) return undefined;
  const stmts: Stmt[] = [red.inner, ...(acc?.post ?? [])];
  // no scalar but the loop variables and the accumulator changes inside the nest
  const own = new Set([a.v, b.v, ...ks.map((k) => k.v), ...(acc ? [acc.name] : [])]);
  if (stmts.some((s) => assignsScalarOtherThan(s, own))) return undefined;
  // every written array is a parameter written at one index, which uses both outer loops: each (m, n) owns its element
  const writes = new Map<string, string>();
  for (const s of stmts)
    for (const [array, idxs] of writtenArrays(s)) {
      const all = new Set([...idxs, ...(writes.has(array) ? [writes.get(array)!] : [])]);
      if (!params.has(array) || all.size !== 1) return undefined;
      writes.set(array, idxs[0]);
    }
  if (!writes.size) return undefined;
  for (const printed of writes.values()) {
    const e = findIndexExpr(stmts, printed);
    if (!e || !exprUses(e, a.v) || !exprUses(e, b.v)) return undefined;
  }
  // the summand reads no written array; init and post read a written array only at the index it is written at
  if (readsOf(upd.e).some((r) => writes.has(r.array))) return undefined;
  const readsOwn = (e: Expr) => readsOf(e).every((r) => !writes.has(r.array) || writes.get(r.array) === r.idx);
  if (acc && !readsOwn(acc.init)) return undefined;
  if (acc && acc.post.some((s) => !stmtReads(s).every((r) => !writes.has(r.array) || writes.get(r.array) === r.idx))) return undefined;
  let store: Contraction['store'];
  if (form === 'direct') {
    const l = upd.l as Extract<Expr, { k: 'index' }>;
    store = { array: (l.arr as { name: string }).name, idx: l.idx };
  } else {
    const st = acc!.post.length === 1 ? storeOfAcc(acc!.post[0], acc!.name) : undefined;
    if (st && !readsOf(acc!.init).some((r) => r.array === st.array)) store = st;
  }
  // the lane dimension: the outer loop the output is contiguous in (else the inner one)
  const o = store?.idx;
  const unitA = !!o && coeffOf(o, a.v) === 1;
  const unitB = !!o && coeffOf(o, b.v) === 1;
  const [m, n] = unitB || !unitA ? [a, b] : [b, a];
  const leaves = leavesOf(upd.e, m.v, n.v);
  if (!leaves || leaves.some((l) => !params.has(l.array))) return undefined;
  // a leaf that moves with both m and n must be contiguous in n (loaded as a vector in place)
  if (leaves.some((l) => l.usesM && l.usesN && l.nCoeff !== 1)) return undefined;
  // no reduction loop's bounds or the summand may use a name the nest declares (besides its loops)
  return { site: x.site, m, n, outer: x.outerVar === m.v ? 'm' : 'n', ks, op: upd.op, e: upd.e, type: x.type, form, store, acc, leaves };
}

/** Array reads and writes anywhere in a statement, as (array, printed index). */
function stmtReads(s: Stmt): { array: string; idx: string }[] {
  const out: { array: string; idx: string }[] = [];
  forEachExpr(s, (x) => {
    if (x.k === 'index' && x.arr.k === 'id') out.push({ array: x.arr.name, idx: printExpr(x.idx) });
  });
  return out;
}

function storeOfAcc(s: Stmt, acc: string): { array: string; idx: Expr } | undefined {
  if (s.k === 'expr' && s.e.k === 'assign' && s.e.op === '=' && s.e.r.k === 'id' && s.e.r.name === acc && s.e.l.k === 'index' && s.e.l.arr.k === 'id') return { array: s.e.l.arr.name, idx: s.e.l.idx };
  return undefined;
}

function findIndexExpr(stmts: Stmt[], printed: string): Expr | undefined {
  let found: Expr | undefined;
  for (const s of stmts)
    forEachExpr(s, (x) => {
      if (!found && x.k === 'index' && printExpr(x.idx) === printed) found = x.idx;
    });
  return found;
}
