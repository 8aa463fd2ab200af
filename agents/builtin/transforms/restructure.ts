import { add, assigns, canonicalLoop, clone, declaredNames, forEachExpr, forEachStmt, id, num, substitute, usesId, type Decl, type Expr, type For, type Stmt } from '../../../csyntax/index.js';
import { bodyStmts, soleInnerLoop, type LoopSite } from './loops.js';

/** Loop interchange of a loop and the sole loop inside it (rectangular bounds only). */
export function interchange(site: LoopSite): boolean {
  const outer = site.loop;
  const inner = soleInnerLoop(outer);
  if (!inner) return false;
  const co = canonicalLoop(outer);
  const ci = canonicalLoop(inner);
  if (!co || !ci) return false;
  if ([ci.lo, ci.hi].some((e) => exprUses(e, co.v))) return false;
  const newInner: For = { ...clone(outer), body: inner.body, pragmas: inner.pragmas };
  const newOuter: For = { ...clone(inner), body: { k: 'block', body: [newInner] }, pragmas: outer.pragmas };
  site.replace([newOuter]);
  return true;
}

export function exprUses(e: Expr, name: string): boolean {
  let used = false;
  forEachExpr({ k: 'expr', e }, (x) => (used ||= x.k === 'id' && x.name === name));
  return used;
}

/** Loop distribution (fission): split the body after statement `at`. */
export function distribute(site: LoopSite, at: number): boolean {
  const f = site.loop;
  const stmts = bodyStmts(f);
  if (at < 1 || at >= stmts.length || !canonicalLoop(f)) return false;
  const first = stmts.slice(0, at);
  const second = stmts.slice(at);
  // A name declared in the first part and used in the second would be lost.
  for (const n of blockDeclNames({ k: 'block', body: first })) if (usesId({ k: 'block', body: second }, n)) return false;
  const a: For = { ...clone(f), body: { k: 'block', body: clone(first) } };
  const b: For = { ...clone(f), body: { k: 'block', body: clone(second) } };
  site.replace([a, b]);
  return true;
}

/**
 * Sink a scalar accumulator into the memory it is stored to:
 *   { real t = init; ...loop using t...; X[i] = t; ...reads of t... }  ->  { X[i] = init; ...loop using X[i]...; ...reads of X[i]... }
 * The site is a loop whose body holds the pattern (the block of the loop that encloses the use).
 * Reads of t after the store become reads of X[i] while nothing can have changed X[i] or its index
 * since (covariance's `cov[i*M+j] = s; cov[j*M+i] = s;`).
 */
export function sinkAccumulator(site: LoopSite): boolean {
  const body = site.loop.body;
  if (body.k !== 'block') return false;
  const stmts = body.body;
  for (let d = 0; d < stmts.length; d++) {
    const decl = stmts[d];
    if (decl.k !== 'decl' || decl.decls.length !== 1) continue;
    const v = decl.decls[0];
    if (v.ptr || v.dims.length || !v.init) continue;
    for (let s = d + 1; s < stmts.length; s++) {
      const st = stmts[s];
      if (st.k !== 'expr' || st.e.k !== 'assign' || st.e.op !== '=' || st.e.r.k !== 'id' || st.e.r.name !== v.name || st.e.l.k !== 'index') continue;
      const target = st.e.l;
      const between = stmts.slice(d + 1, s);
      if (!between.some((x) => x.k === 'for')) continue;
      const arr = target.arr.k === 'id' ? target.arr.name : undefined;
      if (!arr || between.some((x) => usesId(x, arr))) continue;
      // the element stays the same element: nothing in between or after assigns a name its index uses
      const indexNames = new Set<string>();
      forEachExpr({ k: 'expr', e: target.idx }, (x) => x.k === 'id' && indexNames.add(x.name));
      const after = stmts.slice(s + 1);
      if ([...between, ...after].some((x) => [...indexNames].some((n) => assigns(x, n)))) continue;
      if (!readsBeforeWrites(after, v.name, arr)) continue;
      const init: Stmt = { k: 'expr', e: { k: 'assign', op: '=', l: clone(target), r: v.init } };
      const rewritten = between.map((x) => substitute(x, v.name, target));
      body.body = [...stmts.slice(0, d), init, ...rewritten, ...after.map((x) => substitute(x, v.name, target))];
      return true;
    }
  }
  return false;
}

/**
 * After the store, may each read of `v` become a read of the element it was stored to? Only while no
 * earlier statement there may have written `arr` (a statement that reads v as the right side of its
 * own assignment, writing arr only there, is fine: the read comes first), and v is never assigned.
 */
function readsBeforeWrites(after: Stmt[], v: string, arr: string): boolean {
  let written = false;
  for (const x of after) {
    if (assigns(x, v) || declaredNames(x).has(v)) return false;
    const uses = usesId(x, v);
    if (uses && written) return false;
    const writes = mayWrite(x, arr);
    if (uses && writes && !(x.k === 'expr' && x.e.k === 'assign' && x.e.op === '=' && !hasSideEffects(x.e.r) && !exprUses(x.e.l, v))) return false;
    written ||= writes;
  }
  return true;
}

/** Might the statement write array `arr`: an element of it, or anything through a pointer or a call? */
function mayWrite(s: Stmt, arr: string): boolean {
  let found = false;
  forEachExpr(s, (e) => {
    const lv = e.k === 'assign' ? e.l : e.k === 'post' || (e.k === 'un' && (e.op === '++' || e.op === '--')) ? e.arg : undefined;
    if (lv && lv.k !== 'id' && !(lv.k === 'index' && lv.arr.k === 'id' && lv.arr.name !== arr)) found = true;
    if (e.k === 'call') found = true;
  });
  forEachStmt(s, (x) => (found ||= x.k === 'raw'));
  return found;
}

/** Does an expression assign, increment or call anything? */
function hasSideEffects(e: Expr): boolean {
  let found = false;
  forEachExpr({ k: 'expr', e }, (x) => (found ||= x.k === 'assign' || x.k === 'post' || x.k === 'call' || (x.k === 'un' && (x.op === '++' || x.op === '--'))));
  return found;
}

/** `for (TYPE v = lo; v < hi; v++ | v += step) body`, with its pragmas. */
export function makeFor(v: string, type: string, lo: Expr, hi: Expr, step: number, body: Stmt, pragmas: string[] = []): For {
  return {
    k: 'for',
    init: { k: 'decl', type, decls: [{ name: v, ptr: '', dims: [], init: lo }] } as Decl,
    cond: { k: 'bin', op: '<', l: id(v), r: hi },
    step: step === 1 ? { k: 'post', op: '++', arg: id(v) } : { k: 'assign', op: '+=', l: id(v), r: num(step) },
    body,
    pragmas,
  };
}

/** `base`, suffixed with x until no name in `taken` is it; then taken. */
export function freshName(base: string, taken: Set<string>): string {
  let n = base;
  while (taken.has(n)) n += 'x';
  taken.add(n);
  return n;
}

/** Strip-mine every loop of a perfect nest by `tile`, tile loops outermost. */
export function tile(site: LoopSite, nest: For[], tileSize: number): boolean {
  const canon = nest.map(canonicalLoop);
  if (canon.some((c) => !c || c.step !== 1)) return false;
  const vars = canon.map((c) => c!.v);
  // rectangular: no bound of the nest depends on another of its variables
  if (canon.some((c) => vars.some((v) => exprUses(c!.lo, v) || exprUses(c!.hi, v)))) return false;
  const innermostBody = nest[nest.length - 1].body;
  const outerPragmas = nest[0].pragmas;
  const innerPragmas = nest.length > 1 ? nest[nest.length - 1].pragmas : [];
  const tileVar = (v: string) => `${v}${v}_t`;
  let inner: Stmt = clone(innermostBody);
  for (let i = nest.length - 1; i >= 0; i--) {
    const c = canon[i]!;
    const t = tileVar(c.v);
    const end = add(id(t), num(tileSize));
    const hi: Expr = { k: 'cond', c: { k: 'bin', op: '<', l: end, r: clone(c.hi) }, t: clone(end), f: clone(c.hi) };
    inner = makeFor(c.v, c.type, id(t), hi, 1, inner.k === 'block' ? inner : { k: 'block', body: [inner] }, i === nest.length - 1 ? innerPragmas : []);
    inner = { k: 'block', body: [inner] };
  }
  for (let i = nest.length - 1; i >= 0; i--) {
    const c = canon[i]!;
    inner = { k: 'block', body: [makeFor(tileVar(c.v), c.type, clone(c.lo), clone(c.hi), tileSize, inner, i === 0 ? outerPragmas : [])] };
  }
  site.replace((inner as { body: Stmt[] }).body);
  return true;
}

/** Rename every declaration in `s` to a fresh name (for jammed copies sharing one scope). */
export function renameDecls(s: Stmt, suffix: string, taken: Set<string>): Stmt {
  let out = s;
  if (!suffix) return out;
  for (const n of blockDeclNames(s)) {
    const fresh = freshName(n + suffix, taken);
    out = substitute(out, n, id(fresh));
    out = renameDeclared(out, n, fresh);
  }
  return out;
}

/** Every identifier used or declared in a statement. */
export function namesIn(s: Stmt): Set<string> {
  const out = new Set<string>(blockDeclNames(s));
  forEachStmt(s, (x) => {
    if (x.k === 'decl') x.decls.forEach((d) => out.add(d.name));
  });
  forEachExpr(s, (e) => {
    if (e.k === 'id') out.add(e.name);
  });
  return out;
}

/** Names declared by declaration statements (loop headers' own variables excluded: jammed loops share them). */
export function blockDeclNames(s: Stmt, out = new Set<string>()): Set<string> {
  switch (s.k) {
    case 'decl':
      s.decls.forEach((d) => out.add(d.name));
      break;
    case 'block':
      s.body.forEach((b) => blockDeclNames(b, out));
      break;
    case 'for':
    case 'while':
    case 'do':
      blockDeclNames(s.body, out);
      break;
    case 'if':
      blockDeclNames(s.then, out);
      if (s.else) blockDeclNames(s.else, out);
      break;
  }
  return out;
}

function renameDeclared(s: Stmt, from: string, to: string): Stmt {
  const walk = (x: Stmt): Stmt => {
    switch (x.k) {
      case 'decl':
        return { ...x, decls: x.decls.map((d) => (d.name === from ? { ...d, name: to } : d)) };
      case 'block':
        return { ...x, body: x.body.map(walk) };
      case 'for':
        return { ...x, init: x.init && (walk(x.init) as For['init']), body: walk(x.body) };
      case 'while':
      case 'do':
        return { ...x, body: walk(x.body) };
      case 'if':
        return { ...x, then: walk(x.then), else: x.else && walk(x.else) };
      default:
        return x;
    }
  };
  return walk(s);
}

export function sameHeader(a: For, b: For): boolean {
  const h = (f: For) => JSON.stringify([f.init, f.cond, f.step]);
  return h(a) === h(b);
}

/** The loop that follows `f` in the same block, if the next statement is one. */
export function nextSibling(root: Stmt, f: For): For | undefined {
  let found: For | undefined;
  const visit = (s: Stmt): void => {
    if (found) return;
    if (s.k === 'block') {
      const i = s.body.indexOf(f);
      if (i >= 0) {
        const n = s.body[i + 1];
        found = n?.k === 'for' ? n : undefined;
        return;
      }
      s.body.forEach(visit);
    } else if (s.k === 'for' || s.k === 'while' || s.k === 'do') visit(s.body);
    else if (s.k === 'if') {
      visit(s.then);
      if (s.else) visit(s.else);
    }
  };
  visit(root);
  return found;
}

/**
 * Loop fusion: `f` and the loop after it (same header, no OpenMP pragmas) become one loop running
 * both bodies in order. Refused when a scalar one body assigns (outside its own declarations) is
 * used by the other, or both declare the same name (the dependence analysis checks the arrays).
 */
export function fuse(root: Stmt, f: For): boolean {
  const g = nextSibling(root, f);
  if (!g || !sameHeader(f, g) || f.pragmas.length || g.pragmas.length) return false;
  const c = canonicalLoop(f);
  if (!c) return false;
  const declaredF = blockDeclNames(f.body);
  const declaredG = blockDeclNames(g.body);
  if ([...declaredF].some((n) => declaredG.has(n))) return false;
  const assignedOutside = (l: For, declared: Set<string>) => {
    const out = new Set<string>();
    forEachExpr(l.body, (e) => {
      if (e.k === 'assign' && e.l.k === 'id' && !declared.has(e.l.name)) out.add(e.l.name);
      if ((e.k === 'post' || (e.k === 'un' && (e.op === '++' || e.op === '--'))) && e.arg.k === 'id' && !declared.has(e.arg.name)) out.add(e.arg.name);
    });
    return out;
  };
  for (const n of assignedOutside(f, declaredF)) if (usesId(g.body, n)) return false;
  for (const n of assignedOutside(g, declaredG)) if (usesId(f.body, n)) return false;
  const body = (l: For) => (l.body.k === 'block' ? l.body.body : [l.body]);
  f.body = { k: 'block', body: [...body(f), ...body(g)] };
  // remove g from its block
  const drop = (s: Stmt): boolean => {
    if (s.k === 'block') {
      const i = s.body.indexOf(g);
      if (i >= 0) {
        s.body.splice(i, 1);
        return true;
      }
      return s.body.some(drop);
    }
    if (s.k === 'for' || s.k === 'while' || s.k === 'do') return drop(s.body);
    if (s.k === 'if') return drop(s.then) || (!!s.else && drop(s.else));
    return false;
  };
  return drop(root);
}
