import type { Expr, Func, Stmt } from './ast.js';
import { CSyntaxError } from './lexer.js';
import { assignedScalars, declaredNames, forEachStmt, mapStmtExprs } from './walk.js';

/**
 * A function with array parameters (`float A[M][N]`, `const double x[restrict N]`) read as the
 * same function over flat pointers: `A` becomes `float *A`, `A[i][j]` becomes `A[i * N + j]`
 * and a row `A[i]` the pointer `A + i * N`, so that every analysis and transformation of kloop
 * sees one form. C evaluates the extents once, on entry; the reading is the same function only
 * where that value is the one the body sees, so it fails (CSyntaxError) where a size of the
 * extents is assigned or redeclared in the body, where the array itself is redeclared, or where a
 * two-dimensional array is used other than by indexing (passed whole, `sizeof A[i]`).
 */
export function flattenArrayParams(f: Func, line: number): Func {
  const ranked = new Map<string, Expr[]>();
  for (const p of f.params) if (p.declared && p.declared.length > 1) ranked.set(p.name, p.declared.slice(1) as Expr[]);
  if (!ranked.size) return f;
  const fail = (why: string): never => {
    throw new CSyntaxError(`array parameter ${why}`, line);
  };
  const extentNames = new Set<string>();
  for (const dims of ranked.values()) for (const d of dims) idsOf(d, extentNames);
  const assigned = assignedScalars(f.body);
  const declared = declaredNames(f.body);
  for (const n of extentNames) if (assigned.has(n) || declared.has(n)) fail(`extents use "${n}", which the body ${assigned.has(n) ? 'assigns' : 'redeclares'} (C reads the extents once, on entry)`);
  for (const n of ranked.keys()) if (declared.has(n)) fail(`"${n}" is redeclared in the body`);
  // Text the reading cannot rewrite (pragmas, statements kept verbatim) must not name a ranked array.
  const named = (text: string) => [...ranked.keys()].find((n) => new RegExp(`\\b${n}\\b`).test(text));
  forEachStmt(f.body, (s) => {
    const hit = s.k === 'raw' ? named(s.text) : s.k === 'pragma' ? named(s.text) : s.k === 'for' ? s.pragmas.map(named).find(Boolean) : undefined;
    if (hit) fail(`${hit} is named in a pragma or a statement kloop keeps as text`);
  });

  const rewrite = (e: Expr, inSizeof: boolean): Expr => {
    // An index chain on a ranked array: A[i][j]..., as deep as it goes.
    const chain: Expr[] = [];
    let base = e;
    while (base.k === 'index') {
      chain.unshift(base.idx);
      base = base.arr;
    }
    if (base.k === 'id' && ranked.has(base.name)) {
      const strides = ranked.get(base.name)!;
      const rank = strides.length + 1;
      if (chain.length === 0) fail(`${base.name} is used whole (only its elements and rows can be read as a flat array)`);
      if (chain.length > rank) fail(`${base.name} has ${rank} extents but is indexed ${chain.length} times`);
      if (inSizeof && chain.length < rank) fail(`${base.name}: sizeof of a row`);
      const idx = chain.map((x) => rewrite(x, false));
      // ((i0 * D1 + i1) * D2 + i2)..., then the dimensions left as a row's offset.
      let flat = idx[0];
      for (let d = 1; d < rank; d++) flat = d < idx.length ? bin('+', bin('*', flat, strides[d - 1]), idx[d]) : bin('*', flat, strides[d - 1]);
      const arr: Expr = { k: 'id', name: base.name };
      return chain.length === rank ? { k: 'index', arr, idx: flat } : bin('+', arr, flat);
    }
    switch (e.k) {
      case 'id':
        return e;
      case 'bin':
      case 'assign':
      case 'comma':
        return { ...e, l: rewrite(e.l, inSizeof), r: rewrite(e.r, inSizeof) };
      case 'un':
      case 'post':
      case 'cast':
        return { ...e, arg: rewrite(e.arg, inSizeof) };
      case 'cond':
        return { ...e, c: rewrite(e.c, inSizeof), t: rewrite(e.t, inSizeof), f: rewrite(e.f, inSizeof) };
      case 'call': {
        const sz = e.fn.k === 'id' && e.fn.name === 'sizeof';
        return { ...e, fn: rewrite(e.fn, inSizeof), args: e.args.map((a) => rewrite(a, inSizeof || sz)) };
      }
      case 'index':
        return { ...e, arr: rewrite(e.arr, inSizeof), idx: rewrite(e.idx, false) };
      case 'member':
        return { ...e, obj: rewrite(e.obj, inSizeof) };
      case 'init':
        return { ...e, items: e.items.map((x) => rewrite(x, inSizeof)) };
      default:
        return e;
    }
  };
  // mapStmtExprs hands over each top-level expression (and would recurse bottom-up): rewrite it whole, top-down.
  const body = mapTop(f.body, (e) => rewrite(e, false));
  return { ...f, body: body as Func['body'] };
}

const bin = (op: string, l: Expr, r: Expr): Expr => ({ k: 'bin', op, l, r });

function idsOf(e: Expr, out: Set<string>): void {
  mapStmtExprs({ k: 'expr', e }, (x) => {
    if (x.k === 'id') out.add(x.name);
    return x;
  });
}

/** Apply `f` once to each top-level expression of a statement tree (not to their subexpressions). */
function mapTop(s: Stmt, f: (e: Expr) => Expr): Stmt {
  const ms = (x: Stmt) => mapTop(x, f);
  switch (s.k) {
    case 'block':
      return { ...s, body: s.body.map(ms) };
    case 'decl':
      return { ...s, decls: s.decls.map((d) => ({ ...d, dims: d.dims.map(f), init: d.init && f(d.init) })) };
    case 'expr':
      return { ...s, e: f(s.e) };
    case 'for':
      return { ...s, init: s.init && (ms(s.init) as typeof s.init), cond: s.cond && f(s.cond), step: s.step && f(s.step), body: ms(s.body), pragmas: [...s.pragmas] };
    case 'while':
    case 'do':
      return { ...s, cond: f(s.cond), body: ms(s.body) };
    case 'if':
      return { ...s, cond: f(s.cond), then: ms(s.then), else: s.else && ms(s.else) };
    case 'return':
      return { ...s, e: s.e && f(s.e) };
    default:
      return s;
  }
}
