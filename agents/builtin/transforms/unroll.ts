import { add, canonicalLoop, clone, forEachExpr, forEachStmt, id, num, substitute, type Expr, type For, type Func, type Stmt } from '../../../csyntax/index.js';
import { bodyStmts, isInnermost, type LoopSite } from './loops.js';
import { namesIn, renameDecls, sameHeader } from './restructure.js';

/** Copies of a loop body for v, v+1, ..., v+factor-1. */
function copies(f: For, v: string, factor: number): Stmt[][] {
  const taken = namesIn(f);
  return Array.from({ length: factor }, (_, k) => {
    const body: Stmt = { k: 'block', body: clone(bodyStmts(f)) };
    const shifted = k === 0 ? body : substitute(body, v, add(id(v), num(k)));
    return (renameDecls(shifted, k === 0 ? '' : `_${k}`, taken) as { body: Stmt[] }).body;
  });
}

/** Types without negative values. */
const UNSIGNED = /\b(unsigned|size_t|uint\d+_t|uintptr_t)\b/;

/** The function's names of unsigned type (parameters and locals): a bound over them wraps below zero. */
export function unsignedNames(fn: Func): Set<string> {
  const out = new Set(fn.params.filter((p) => !p.ptr.includes('*') && UNSIGNED.test(p.type)).map((p) => p.name));
  forEachStmt(fn.body, (s) => {
    if (s.k === 'decl' && UNSIGNED.test(s.type)) for (const d of s.decls) if (!d.ptr.includes('*') && !d.dims.length) out.add(d.name);
  });
  return out;
}

/**
 * Main loop stepping by `factor` over copies of the body, then a remainder loop, both canonical so
 * that later moves (and OpenMP) still apply:
 *   for (int v = lo; v < hi - (f-1); v += f) {...}   for (int v = lo + (hi - lo) / f * f; v < hi; v++) body
 * (for an unsigned v the main loop's test is v + (f-1) < hi).
 */
function unrolledShell(f: For, v: string, lo: Expr, hi: Expr, type: string, factor: number, main: Stmt[], unsigned: ReadonlySet<string>): Stmt[] {
  let wraps = UNSIGNED.test(type);
  forEachExpr({ k: 'expr', e: hi }, (e) => (wraps ||= e.k === 'id' && unsigned.has(e.name)));
  const decl = (init: Expr) => ({ k: 'decl' as const, type, decls: [{ name: v, ptr: '', dims: [], init }] });
  const span: Expr = lo.k === 'num' && lo.text === '0' ? clone(hi) : { k: 'bin', op: '-', l: clone(hi), r: clone(lo) };
  const restStart = add(clone(lo), { k: 'bin', op: '*', l: { k: 'bin', op: '/', l: span, r: num(factor) }, r: num(factor) });
  const mainLoop: For = {
    k: 'for',
    init: decl(clone(lo)),
    // hi - (f-1) wraps below f-1 where v or hi is unsigned (size_t, unsigned): v + (f-1) < hi does not.
    cond: wraps ? { k: 'bin', op: '<', l: add(id(v), num(factor - 1)), r: clone(hi) } : { k: 'bin', op: '<', l: id(v), r: { k: 'bin', op: '-', l: clone(hi), r: num(factor - 1) } },
    step: { k: 'assign', op: '+=', l: id(v), r: num(factor) },
    body: { k: 'block', body: main },
    pragmas: f.pragmas.filter((p) => !/\bsimd\b/.test(p)),
  };
  const rest: For = {
    k: 'for',
    init: decl(lo.k === 'num' && lo.text === '0' ? (restStart as { l: Expr; r: Expr }).r : restStart),
    cond: { k: 'bin', op: '<', l: id(v), r: clone(hi) },
    step: { k: 'post', op: '++', arg: id(v) },
    body: clone(f.body),
    pragmas: [],
    cold: true,
  };
  return [mainLoop, rest];
}

/** Unroll an innermost loop by `factor`, with a remainder loop. */
export function unroll(site: LoopSite, factor: number, unsigned: ReadonlySet<string> = new Set()): boolean {
  const f = site.loop;
  const c = canonicalLoop(f);
  if (!c || c.step !== 1 || !c.declared || !isInnermost(f)) return false;
  const main = copies(f, c.v, factor).flatMap((b) => (b.some((s) => s.k === 'decl') ? [{ k: 'block', body: b } as Stmt] : b));
  site.replace(unrolledShell(f, c.v, c.lo, c.hi, c.type, factor, main, unsigned));
  return true;
}

/**
 * Unroll-and-jam: unroll an outer loop by `factor` and fuse the copies of the loops inside it,
 * so one pass of the inner loop serves `factor` outer iterations (register blocking).
 */
export function unrollAndJam(site: LoopSite, factor: number, unsigned: ReadonlySet<string> = new Set()): boolean {
  const f = site.loop;
  const c = canonicalLoop(f);
  if (!c || c.step !== 1 || !c.declared || isInnermost(f)) return false;
  const fused = jam(copies(f, c.v, factor));
  if (!fused) return false;
  site.replace(unrolledShell(f, c.v, c.lo, c.hi, c.type, factor, fused, unsigned));
  return true;
}

/** Fuse statement lists of equal shape: loops with equal headers merge, other statements follow in order. */
function jam(lists: Stmt[][]): Stmt[] | undefined {
  const n = lists[0].length;
  if (lists.some((l) => l.length !== n)) return undefined;
  const out: Stmt[] = [];
  for (let i = 0; i < n; i++) {
    const row = lists.map((l) => l[i]);
    if (row.every((s) => s.k === 'for')) {
      const loops = row as For[];
      if (!loops.every((l) => sameHeader(l, loops[0]))) return undefined;
      const inner = jam(loops.map((l) => bodyStmts(l)));
      if (!inner) return undefined;
      out.push({ ...clone(loops[0]), body: { k: 'block', body: inner } });
    } else if (row.some((s) => s.k === 'for' || s.k === 'while' || s.k === 'do')) return undefined;
    else out.push(...row);
  }
  return out;
}
