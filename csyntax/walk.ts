import type { Expr, For, Stmt } from './ast.js';

/** Rewrite an expression bottom-up. */
export function mapExpr(e: Expr, f: (e: Expr) => Expr): Expr {
  const m = (x: Expr) => mapExpr(x, f);
  switch (e.k) {
    case 'bin':
    case 'assign':
    case 'comma':
      return f({ ...e, l: m(e.l), r: m(e.r) });
    case 'un':
    case 'post':
    case 'cast':
      return f({ ...e, arg: m(e.arg) });
    case 'cond':
      return f({ ...e, c: m(e.c), t: m(e.t), f: m(e.f) });
    case 'call':
      return f({ ...e, fn: m(e.fn), args: e.args.map(m) });
    case 'index':
      return f({ ...e, arr: m(e.arr), idx: m(e.idx) });
    case 'member':
      return f({ ...e, obj: m(e.obj) });
    case 'init':
      return f({ ...e, items: e.items.map(m) });
    default:
      return f(e);
  }
}

/** Rewrite every expression inside a statement (returns a new statement). */
export function mapStmtExprs(s: Stmt, f: (e: Expr) => Expr): Stmt {
  const me = (e: Expr) => mapExpr(e, f);
  const ms = (x: Stmt) => mapStmtExprs(x, f);
  switch (s.k) {
    case 'block':
      return { ...s, body: s.body.map(ms) };
    case 'decl':
      return { ...s, decls: s.decls.map((d) => ({ ...d, dims: d.dims.map(me), init: d.init && me(d.init) })) };
    case 'expr':
      return { ...s, e: me(s.e) };
    case 'for':
      return { ...s, init: s.init && (ms(s.init) as For['init']), cond: s.cond && me(s.cond), step: s.step && me(s.step), body: ms(s.body), pragmas: [...s.pragmas] };
    case 'while':
      return { ...s, cond: me(s.cond), body: ms(s.body) };
    case 'do':
      return { ...s, cond: me(s.cond), body: ms(s.body) };
    case 'if':
      return { ...s, cond: me(s.cond), then: ms(s.then), else: s.else && ms(s.else) };
    case 'return':
      return { ...s, e: s.e && me(s.e) };
    default:
      return s;
  }
}

/** Replace identifier `name` by `by` everywhere in a statement. */
export function substitute(s: Stmt, name: string, by: Expr): Stmt {
  return mapStmtExprs(s, (e) => (e.k === 'id' && e.name === name ? structuredClone(by) : e));
}

/** Visit an expression's nodes, children before their parent (mapExpr's order), without copying. */
function visitExpr(e: Expr, f: (e: Expr) => void): void {
  switch (e.k) {
    case 'bin':
    case 'assign':
    case 'comma':
      visitExpr(e.l, f);
      visitExpr(e.r, f);
      break;
    case 'un':
    case 'post':
    case 'cast':
      visitExpr(e.arg, f);
      break;
    case 'cond':
      visitExpr(e.c, f);
      visitExpr(e.t, f);
      visitExpr(e.f, f);
      break;
    case 'call':
      visitExpr(e.fn, f);
      e.args.forEach((a) => visitExpr(a, f));
      break;
    case 'index':
      visitExpr(e.arr, f);
      visitExpr(e.idx, f);
      break;
    case 'member':
      visitExpr(e.obj, f);
      break;
    case 'init':
      e.items.forEach((a) => visitExpr(a, f));
      break;
  }
  f(e);
}

/** Visit every expression of a statement tree, in mapStmtExprs's order (each expression's children first), without copying it. */
export function forEachExpr(s: Stmt, f: (e: Expr) => void): void {
  switch (s.k) {
    case 'block':
      s.body.forEach((b) => forEachExpr(b, f));
      return;
    case 'decl':
      for (const d of s.decls) {
        d.dims.forEach((x) => visitExpr(x, f));
        if (d.init) visitExpr(d.init, f);
      }
      return;
    case 'expr':
      visitExpr(s.e, f);
      return;
    case 'for':
      if (s.init) forEachExpr(s.init, f);
      if (s.cond) visitExpr(s.cond, f);
      if (s.step) visitExpr(s.step, f);
      forEachExpr(s.body, f);
      return;
    case 'while':
    case 'do':
      visitExpr(s.cond, f);
      forEachExpr(s.body, f);
      return;
    case 'if':
      visitExpr(s.cond, f);
      forEachExpr(s.then, f);
      if (s.else) forEachExpr(s.else, f);
      return;
    case 'return':
      if (s.e) visitExpr(s.e, f);
      return;
  }
}

/** Visit every statement (pre-order). */
export function forEachStmt(s: Stmt, f: (s: Stmt) => void): void {
  f(s);
  switch (s.k) {
    case 'block':
      s.body.forEach((b) => forEachStmt(b, f));
      break;
    case 'for':
      if (s.init) forEachStmt(s.init, f);
      forEachStmt(s.body, f);
      break;
    case 'while':
    case 'do':
      forEachStmt(s.body, f);
      break;
    case 'if':
      forEachStmt(s.then, f);
      if (s.else) forEachStmt(s.else, f);
      break;
  }
}

export function usesId(s: Stmt, name: string): boolean {
  let used = false;
  forEachExpr(s, (e) => (used ||= e.k === 'id' && e.name === name));
  if (!used) forEachStmt(s, (x) => (used ||= x.k === 'decl' && x.decls.some((d) => d.name === name)));
  return used;
}

export const num = (n: number): Expr => ({ k: 'num', text: String(n) });
export const id = (name: string): Expr => ({ k: 'id', name });
export const add = (l: Expr, r: Expr): Expr => (r.k === 'num' && r.text === '0' ? l : { k: 'bin', op: '+', l, r });
export const sub = (l: Expr, r: Expr): Expr => (r.k === 'num' && r.text === '0' ? l : { k: 'bin', op: '-', l, r });

export interface CanonicalLoop {
  v: string;
  lo: Expr;
  /** Exclusive upper bound. */
  hi: Expr;
  step: number;
  declared: boolean;
  type: string;
}

const canonicalCache = new WeakMap<For, { init: For['init']; cond: For['cond']; step: For['step']; body: Stmt; result: CanonicalLoop | undefined }>();

/**
 * Recognise `for (int i = lo; i < hi; i++ | i += s)` (also `i <= x`, `++i`, `i = i + s`).
 * Remembered per loop while its header and body are the same objects (the writer's moves build new
 * loops rather than reassigning a loop variable inside an old one).
 */
export function canonicalLoop(f: For): CanonicalLoop | undefined {
  const hit = canonicalCache.get(f);
  if (hit && hit.init === f.init && hit.cond === f.cond && hit.step === f.step && hit.body === f.body) return hit.result;
  const result = recogniseLoop(f);
  canonicalCache.set(f, { init: f.init, cond: f.cond, step: f.step, body: f.body, result });
  return result;
}

function recogniseLoop(f: For): CanonicalLoop | undefined {
  let v: string;
  let lo: Expr;
  let declared = false;
  let type = 'int';
  if (f.init?.k === 'decl' && f.init.decls.length === 1 && f.init.decls[0].init && !f.init.decls[0].ptr && !f.init.decls[0].dims.length) {
    v = f.init.decls[0].name;
    lo = f.init.decls[0].init;
    declared = true;
    type = f.init.type;
    if (!/^(int|long|long long|unsigned|unsigned int|size_t|ptrdiff_t|int64_t|int32_t)$/.test(type)) return undefined;
  } else if (f.init?.k === 'expr' && f.init.e.k === 'assign' && f.init.e.op === '=' && f.init.e.l.k === 'id') {
    v = f.init.e.l.name;
    lo = f.init.e.r;
  } else return undefined;
  const c = f.cond;
  if (!c || c.k !== 'bin' || c.l.k !== 'id' || c.l.name !== v) return undefined;
  let hi: Expr;
  if (c.op === '<') hi = c.r;
  else if (c.op === '<=') hi = add(c.r, num(1));
  else return undefined;
  const s = f.step;
  let step: number | undefined;
  if (s?.k === 'post' || s?.k === 'un') step = s.op === '++' && s.arg.k === 'id' && s.arg.name === v ? 1 : undefined;
  else if (s?.k === 'assign' && s.l.k === 'id' && s.l.name === v && s.op === '+=' && s.r.k === 'num') step = Number(s.r.text);
  else if (s?.k === 'assign' && s.op === '=' && s.r.k === 'bin' && s.r.op === '+' && s.r.l.k === 'id' && s.r.l.name === v && s.r.r.k === 'num') step = Number(s.r.r.text);
  if (!step || !Number.isInteger(step) || step <= 0) return undefined;
  if (assigns(f.body, v)) return undefined;
  return { v, lo, hi, step, declared, type };
}

/** Does the statement assign to scalar `name` (=, op=, ++, --)? */
export function assigns(s: Stmt, name: string): boolean {
  let found = false;
  forEachExpr(s, (e) => {
    if ((e.k === 'assign' && e.l.k === 'id' && e.l.name === name) || ((e.k === 'post' || (e.k === 'un' && (e.op === '++' || e.op === '--'))) && e.arg.k === 'id' && e.arg.name === name)) found = true;
  });
  return found;
}

/** Scalars assigned in a statement, with the operator. */
export function assignedScalars(s: Stmt): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const note = (n: string, op: string) => (out.get(n) ?? out.set(n, new Set()).get(n)!).add(op);
  forEachExpr(s, (e) => {
    if (e.k === 'assign' && e.l.k === 'id') note(e.l.name, e.op);
    if ((e.k === 'post' || (e.k === 'un' && (e.op === '++' || e.op === '--'))) && e.arg.k === 'id') note(e.arg.name, e.op);
  });
  return out;
}

/** Names declared anywhere inside a statement. */
export function declaredNames(s: Stmt): Set<string> {
  const out = new Set<string>();
  forEachStmt(s, (x) => {
    if (x.k === 'decl') x.decls.forEach((d) => out.add(d.name));
  });
  return out;
}

export interface Access {
  array: string;
  idx: Expr;
  write: boolean;
}

/** Array element accesses `A[expr]` in a statement; writes are the left sides of assignments. */
export function arrayAccesses(s: Stmt): Access[] {
  const out: Access[] = [];
  const visit = (e: Expr, write: boolean): void => {
    switch (e.k) {
      case 'index':
        if (e.arr.k === 'id') out.push({ array: e.arr.name, idx: e.idx, write });
        else visit(e.arr, false);
        visit(e.idx, false);
        return;
      case 'assign':
        visit(e.l, true);
        if (e.op !== '=') visit(e.l, false);
        visit(e.r, false);
        return;
      case 'post':
      case 'un':
        if (e.op === '++' || e.op === '--') visit(e.arg, true);
        visit(e.arg, false);
        return;
      case 'bin':
      case 'comma':
        visit(e.l, false);
        visit(e.r, false);
        return;
      case 'cond':
        [e.c, e.t, e.f].forEach((x) => visit(x, false));
        return;
      case 'call':
        e.args.forEach((x) => visit(x, false));
        return;
      case 'cast':
        visit(e.arg, false);
        return;
      case 'member':
        visit(e.obj, false);
        return;
      case 'init':
        e.items.forEach((x) => visit(x, false));
        return;
    }
  };
  const stmtVisit = (x: Stmt) => {
    if (x.k === 'expr') visit(x.e, false);
    else if (x.k === 'decl') x.decls.forEach((d) => d.init && visit(d.init, false));
    else if (x.k === 'if') visit(x.cond, false);
    else if (x.k === 'while' || x.k === 'do') visit(x.cond, false);
    else if (x.k === 'return' && x.e) visit(x.e, false);
    else if (x.k === 'for') {
      if (x.cond) visit(x.cond, false);
      if (x.step) visit(x.step, false);
    }
  };
  forEachStmt(s, stmtVisit);
  return out;
}

/** Coefficient of `v` in an index expression: a number, 'sym' (depends on other names), or 'nonaffine'. */
export type Coeff = number | 'sym' | 'nonaffine';

export function coeffOf(e: Expr, v: string): Coeff {
  const plus = (a: Coeff, b: Coeff, sign: number): Coeff => {
    if (a === 'nonaffine' || b === 'nonaffine') return 'nonaffine';
    if (a === 'sym' || b === 'sym') return a === 0 ? (b === 0 ? 0 : 'sym') : 'sym';
    return a + sign * b;
  };
  switch (e.k) {
    case 'id':
      return e.name === v ? 1 : 0;
    case 'num':
      return 0;
    case 'bin': {
      const a = coeffOf(e.l, v);
      const b = coeffOf(e.r, v);
      if (e.op === '+') return plus(a, b, 1);
      if (e.op === '-') return plus(a, b, -1);
      if (e.op === '*') {
        if (a === 0 && b === 0) return 0;
        if (a === 'nonaffine' || b === 'nonaffine') return 'nonaffine';
        if (a !== 0 && b !== 0) return 'nonaffine';
        const [c, other] = a !== 0 ? [a, e.r] : [b, e.l];
        if (other.k === 'num' && typeof c === 'number') return c * Number(other.text);
        return 'sym';
      }
      return a === 0 && b === 0 ? 0 : 'nonaffine';
    }
    case 'un':
      if (e.op === '-') {
        const a = coeffOf(e.arg, v);
        return typeof a === 'number' ? -a : a;
      }
      if (e.op === '+') return coeffOf(e.arg, v);
      return 'nonaffine';
    case 'cast':
      return coeffOf(e.arg, v);
    default: {
      let uses = false;
      mapExpr(e, (x) => ((uses ||= x.k === 'id' && x.name === v), x));
      return uses ? 'nonaffine' : 0;
    }
  }
}
