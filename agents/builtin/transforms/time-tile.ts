import { assignedScalars, canonicalLoop, clone, forEachStmt, id, num, type CanonicalLoop, type Expr, type For, type Stmt } from '../../../csyntax/index.js';
import { bodyStmts, plainBoundNames, type LoopSite } from './loops.js';
import { isTeamPragma } from './openmp.js';
import { freshName, makeFor } from './restructure.js';

/**
 * Time tiling of an iterated stencil: a time loop whose body is sweeps (loops) over points, run a
 * block of time steps at a time over a block of points, so that the block's data stays in cache
 * across the steps instead of streaming every array through memory once per step.
 *
 *   for (t = t0; t < t1; t++) { for (i = lo_0; i < hi_0; i++) S_0; ... for (i = lo_n; ...) S_n; }
 *
 * becomes, with each part s placed at c = i + shift[s] + skew·(t - t0) (dependence.ts's timeSkew
 * finds the least shifts and skew that make every dependence go forward in t and in c):
 *
 *   for (tt_t = t0; tt_t < t1; tt_t += TB)
 *     for (ii_t = min_s(lo_s + shift[s]); ii_t < max_s(hi_s + shift[s]) + skew·(t1 - 1 - t0); ii_t += W)
 *       for (t = tt_t; t < min(tt_t + TB, t1); t++) {
 *         for (i = max(lo_0, ii_t - shift[0] - skew·(t - t0)); i < min(hi_0, ii_t + W - shift[0] - skew·(t - t0)); i++) S_0;
 *         ...
 *       }
 *
 * Each part keeps its own loop (the compiler vectorises it as before), and its points at each step
 * run in their order; every point of every step falls in exactly one tile.
 */
export interface TimeNest {
  time: For;
  canon: CanonicalLoop;
  parts: For[];
  partCanon: CanonicalLoop[];
}

/** What a sweep's loop may carry (dropped by the tiling) and what loops inside it may carry (kept); a team around the time loop is dropped too. */
const SWEEP = /^#\s*pragma\s+omp\s+(parallel\s+for|for|simd)\b/;
const SIMD = /^#\s*pragma\s+omp\s+simd\b/;

/**
 * The shape time tiling needs: a canonical time loop (step 1, its variable declared in it; a team
 * around it at most) whose body is only canonical loops of step 1 with declared variables (their
 * own parallel, worksharing or simd pragma at most, and simd loops inside them), and
 * whose bounds (the time loop's and every part's) read no memory and nothing the loop writes or
 * the time variable: every step sweeps the same points.
 */
export function timeNest(f: For): TimeNest | undefined {
  const canon = canonicalLoop(f);
  if (!canon || canon.step !== 1 || !canon.declared) return undefined;
  const stmts = bodyStmts(f);
  if (!stmts.length || !stmts.every((s) => s.k === 'for')) return undefined;
  const parts = stmts as For[];
  // The sweeps' own OpenMP loops (and a team around the time loop) give way to the tiles, which
  // run in order: a parallel baseline can still be time-tiled. `omp simd` further in stays; any
  // other directive (atomic, critical, a region inside) refuses.
  let other = f.pragmas.some((p) => !isTeamPragma(p));
  const visit = (s: Stmt, top: boolean) => {
    if (s.k === 'for' && s.pragmas.some((p) => !(top ? SWEEP : SIMD).test(p))) other = true;
    if (s.k === 'pragma') other = true;
  };
  parts.forEach((p) => forEachStmt(p, (s) => visit(s, s === p)));
  if (other) return undefined;
  const partCanon = parts.map(canonicalLoop);
  if (partCanon.some((c) => !c || c.step !== 1 || !c.declared)) return undefined;
  const written = new Set(assignedScalars(f.body).keys());
  const readOnly = (e: Expr, extra: string[]) => {
    const names = plainBoundNames(e);
    return !!names && [...names].every((n) => !written.has(n) && !extra.includes(n));
  };
  if (![canon.lo, canon.hi].every((e) => readOnly(e, []))) return undefined;
  if (!partCanon.every((c) => readOnly(c!.lo, [canon.v]) && readOnly(c!.hi, [canon.v]))) return undefined;
  return { time: f, canon, parts, partCanon: partCanon as CanonicalLoop[] };
}

const bin = (op: string, l: Expr, r: Expr): Expr => ({ k: 'bin', op, l, r });
const plus = (e: Expr, n: number): Expr => (n === 0 ? e : n > 0 ? bin('+', e, num(n)) : bin('-', e, num(-n)));
const pick = (op: '<' | '>', a: Expr, b: Expr): Expr => ({ k: 'cond', c: bin(op, a, b), t: clone(a), f: clone(b) });
const minOf = (xs: Expr[]): Expr => xs.reduce((a, b) => pick('<', a, b));
const maxOf = (xs: Expr[]): Expr => xs.reduce((a, b) => pick('>', a, b));

/** Time-tile the nest at `site` with `steps` time steps and `width` points per tile (see above). */
export function timeTile(site: LoopSite, nest: TimeNest, skew: { shifts: number[]; skew: number }, steps: number, width: number, taken: Set<string>): boolean {
  if (!(steps >= 2) || !(width >= 2)) return false;
  const { canon, parts, partCanon } = nest;
  const tt = freshName(`${canon.v}${canon.v}_t`, taken);
  const cc = freshName(`${partCanon[0].v}${partCanon[0].v}_t`, taken);
  const k = skew.skew;
  const fromZero = canon.lo.k === 'num' && Number(canon.lo.text) === 0;
  // skew·(t - t0) at step t
  const elapsed = (t: Expr): Expr => {
    if (k === 0) return num(0);
    const since = fromZero ? t : bin('-', t, clone(canon.lo));
    return k === 1 ? since : bin('*', num(k), since);
  };
  const lastStep = fromZero ? bin('-', clone(canon.hi), num(1)) : bin('-', bin('-', clone(canon.hi), num(1)), clone(canon.lo));
  const cLo = minOf(partCanon.map((c, s) => plus(clone(c.lo), skew.shifts[s])));
  const cHiFlat = maxOf(partCanon.map((c, s) => plus(clone(c.hi), skew.shifts[s])));
  const cHi = k === 0 ? cHiFlat : bin('+', cHiFlat, k === 1 ? lastStep : bin('*', num(k), lastStep));
  const sweeps: Stmt[] = parts.map((p, s) => {
    const c = partCanon[s];
    // ii_t + W kept whole: the dependence analysis runs tile loops with small tiles (dependence.ts)
    const offset = (w: number): Expr => {
      const e = plus(w ? bin('+', id(cc), num(w)) : id(cc), -skew.shifts[s]);
      return k === 0 ? e : bin('-', e, elapsed(id(canon.v)));
    };
    const lo = pick('>', clone(c.lo), offset(0));
    const hi = pick('<', clone(c.hi), offset(width));
    const body = clone(p.body);
    return makeFor(c.v, c.type, lo, hi, 1, body.k === 'block' ? body : { k: 'block', body: [body] });
  });
  const stepEnd = plus(id(tt), steps);
  const timeLoop = makeFor(canon.v, canon.type, id(tt), pick('<', stepEnd, clone(canon.hi)), 1, { k: 'block', body: sweeps });
  const pointTiles = makeFor(cc, partCanon[0].type === 'long' || canon.type === 'long' ? 'long' : 'int', cLo, cHi, width, { k: 'block', body: [timeLoop] });
  const timeTiles = makeFor(tt, canon.type, clone(canon.lo), clone(canon.hi), steps, { k: 'block', body: [pointTiles] });
  timeTiles.pragmas = nest.time.pragmas.filter((p) => !isTeamPragma(p));
  site.replace([timeTiles]);
  return true;
}
