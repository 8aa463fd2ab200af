import { assignedScalars, canonicalLoop, declaredNames, forEachStmt, ompClauses, printExpr, reductionItems, type For, type Func, type Stmt } from '../../../csyntax/index.js';
import { bodyStmts, isInnermost, plainBoundNames, type LoopSite } from './loops.js';

/** A reduction clause for the scalars a loop body updates, or undefined if one is not a reduction. */
export function reductionClause(f: For): string | undefined | null {
  const inside = declaredNames(f.body);
  const c = canonicalLoop(f);
  const ops = new Map<string, string>();
  for (const [name, how] of assignedScalars(f.body)) {
    if (inside.has(name) || name === c?.v) continue;
    if ([...how].every((o) => o === '+=' || o === '-=')) ops.set(name, '+');
    else if (how.size === 1 && how.has('=') && isMinMaxUpdate(f.body, name)) ops.set(name, isMinMaxUpdate(f.body, name)!);
    else return null;
  }
  if (!ops.size) return undefined;
  const byOp = new Map<string, string[]>();
  for (const [n, op] of ops) (byOp.get(op) ?? byOp.set(op, []).get(op)!).push(n);
  return [...byOp].map(([op, names]) => `reduction(${op}:${names.join(', ')})`).join(' ');
}

/** `if (x > m) m = x;` (max) or `if (x < m) m = x;` (min), and nothing else assigns m. */
function isMinMaxUpdate(body: Stmt, m: string): 'max' | 'min' | undefined {
  let kind: 'max' | 'min' | undefined;
  let ok = true;
  forEachStmt(body, (s) => {
    if (s.k !== 'if') return;
    const { cond, then } = s;
    const asg = then.k === 'expr' ? then.e : then.k === 'block' && then.body.length === 1 && then.body[0].k === 'expr' ? then.body[0].e : undefined;
    if (!asg || asg.k !== 'assign' || asg.l.k !== 'id' || asg.l.name !== m) return;
    if (cond.k !== 'bin' || s.else) return ((ok = false), undefined);
    const x = printExpr(asg.r);
    if (cond.op === '>' && printExpr(cond.l) === x && printExpr(cond.r) === m) kind = 'max';
    else if (cond.op === '<' && printExpr(cond.l) === x && printExpr(cond.r) === m) kind = 'min';
    else ok = false;
  });
  return ok ? kind : undefined;
}

const isParallelFor = (s: Stmt) => s.k === 'for' && s.pragmas.some((p) => /omp\s+parallel/.test(p));

/** `#pragma omp parallel` alone (a thread team), not `parallel for`. */
export const isTeamPragma = (p: string) => /#\s*pragma\s+omp\s+parallel(?!\s+for\b)\b/.test(p);
/** A loop a team runs around (every thread runs it; the threads are woken once, outside it). */
export const isTeamLoop = (f: For) => f.pragmas.some(isTeamPragma);
/** A loop whose iterations the threads share: `omp parallel for`, or `omp for` inside a team. */
export const isSharedLoop = (f: For) => f.pragmas.some((p) => /#\s*pragma\s+omp\s+(parallel\s+)?for\b/.test(p));
/** A worksharing loop inside a team (`#pragma omp for`). */
const isWorkshare = (s: For) => s.pragmas.some((p) => /#\s*pragma\s+omp\s+for\b/.test(p));

/**
 * Is a team's body what every thread may run: worksharing loops (each split among the threads,
 * with a barrier after it), and canonical loops around them that every thread runs alike (their
 * bounds read nothing the team writes, their variable declared in them, their bodies the same
 * again)? Nothing else: a statement outside a worksharing loop would run once per thread.
 */
function teamBodyHolds(f: For, written: ReadonlySet<string>): boolean {
  const c = canonicalLoop(f);
  if (!c || !c.declared) return false;
  for (const e of [c.lo, c.hi]) {
    const names = plainBoundNames(e);
    if (!names || [...names].some((n) => written.has(n))) return false;
  }
  const stmts = bodyStmts(f);
  if (!stmts.length) return false;
  return stmts.every((s) => {
    if (s.k !== 'for') return false;
    if (isWorkshare(s)) {
      const w = canonicalLoop(s);
      return (
        !!w &&
        w.declared &&
        [w.lo, w.hi].every((e) => {
          const names = plainBoundNames(e);
          return !!names && [...names].every((n) => !written.has(n) || n === c.v);
        })
      );
    }
    return !s.pragmas.some((p) => /omp/.test(p)) && teamBodyHolds(s, written);
  });
}

/**
 * A team's loop holds (teamBodyHolds) against the scalars its body writes that are shared: all but
 * the variables of the loops inside it, declared in them and so each thread's own.
 */
export function teamHolds(f: For): boolean {
  const own = new Set<string>();
  forEachStmt(f.body, (s) => {
    const c = s.k === 'for' ? canonicalLoop(s) : undefined;
    if (c?.declared) own.add(c.v);
  });
  return teamBodyHolds(f, new Set([...assignedScalars(f.body).keys()].filter((n) => !own.has(n))));
}

/**
 * One thread team for a loop whose body is only parallel loops (an iterated stencil's rows): the
 * loop gets `#pragma omp parallel` and every thread runs it, its parallel loops become worksharing
 * `omp for` loops (same schedule and clauses, a barrier after each), so the threads are woken once
 * instead of once per parallel loop per pass. The parallel loops' legality was judged when they
 * were made; here the loop's and their bounds must read nothing the loop writes (every thread must
 * meet the same loops with the same iterations), and their thread counts must agree.
 */
export function hoistTeam(site: LoopSite): boolean {
  const f = site.loop;
  if (f.pragmas.some((p) => /omp/.test(p)) || site.outer.some(isParallelFor)) return false;
  const stmts = bodyStmts(f);
  if (!stmts.length || !stmts.every((s) => s.k === 'for' && s.pragmas.some((p) => /#\s*pragma\s+omp\s+parallel\s+for\b/.test(p)))) return false;
  const inner = stmts as For[];
  const threads = new Set(inner.map((l) => /num_threads\(([^)]*)\)/.exec(l.pragmas.join(' '))?.[1]?.trim() ?? ''));
  if (threads.size !== 1) return false;
  for (const l of inner) l.pragmas = l.pragmas.map((p) => (/omp\s+parallel\s+for/.test(p) ? p.replace(/omp\s+parallel\s+for/, 'omp for').replace(/\s*num_threads\([^)]*\)/, '') : p));
  if (!teamHolds(f)) return false;
  const n = [...threads][0];
  f.pragmas = [...f.pragmas, `#pragma omp parallel${n ? ` num_threads(${n})` : ''}`];
  return true;
}

/**
 * `#pragma omp parallel for` on a loop whose iterations the dependence analysis found independent
 * (moves.ts decides legality), at any depth, but never inside or around another parallel loop;
 * scalar reductions get their clause, and arrays only accumulated into an array-section reduction.
 */
export function parallelize(site: LoopSite, arrays: { array: string; length: string }[] | undefined): boolean {
  const f = site.loop;
  if (!arrays) return false;
  const c = canonicalLoop(f);
  if (!c || !c.declared) return false;
  if (site.outer.some(isParallelFor)) return false;
  let inside = false;
  forEachStmt(f, (s) => (inside ||= isParallelFor(s)));
  if (inside) return false;
  const red = reductionClause(f);
  if (red === null) return false;
  const arrayRed = arrays.length ? `reduction(+:${arrays.map((a) => `${a.array}[0:${a.length}]`).join(', ')})` : '';
  const clauses = [red, arrayRed].filter(Boolean).join(' ');
  f.pragmas = [...f.pragmas.filter((p) => !/omp/.test(p)), `#pragma omp parallel for schedule(static)${clauses ? ' ' + clauses : ''}`];
  return true;
}

/** A parallel or worksharing loop's schedule changed (a tuning choice: static blocks, round robin, dynamic chunks, guided). */
export function reschedule(f: For, schedule: string): boolean {
  const i = f.pragmas.findIndex((p) => /omp\s+(parallel\s+)?for\b/.test(p));
  if (i < 0) return false;
  const current = /schedule\(([^)]*)\)/.exec(f.pragmas[i])?.[1]?.replace(/\s+/g, '') ?? 'static';
  if (current === schedule) return false;
  const without = f.pragmas[i].replace(/\s*schedule\([^)]*\)/, '');
  f.pragmas[i] = without.replace(/(omp\s+(parallel\s+)?for(\s+simd)?)/, `$1 schedule(${schedule})`);
  return true;
}

/** A parallel loop or team run by fewer threads than the device has (small loops lose more to waking threads than they gain). */
export function setThreads(f: For, n: number): boolean {
  const i = f.pragmas.findIndex((p) => /omp\s+parallel\s+for/.test(p) || isTeamPragma(p));
  if (i < 0 || /num_threads/.test(f.pragmas[i])) return false;
  f.pragmas[i] = f.pragmas[i].replace(/(omp\s+parallel(\s+for(\s+simd)?)?)/, `$1 num_threads(${n})`);
  return true;
}

/** `#pragma omp simd` on an innermost loop, with a reduction clause where needed. */
export function simd(site: LoopSite): boolean {
  const f = site.loop;
  if (!isInnermost(f) || f.pragmas.some((p) => /\bsimd\b/.test(p)) || !canonicalLoop(f)) return false;
  const red = reductionClause(f);
  if (red === null) return false;
  const par = f.pragmas.findIndex((p) => /omp\s+(parallel\s+)?for\b/.test(p));
  if (par >= 0) f.pragmas[par] = f.pragmas[par].replace(/omp\s+(parallel\s+)?for\b/, (m) => `${m} simd`);
  else f.pragmas = [...f.pragmas, `#pragma omp simd${red ? ' ' + red : ''}`];
  return true;
}

/** Mark every pointer parameter `restrict` (kloop's harness never passes overlapping arrays). */
export function restrictParams(fn: Func): boolean {
  let changed = false;
  for (const p of fn.params)
    if (p.ptr === '*') {
      p.ptr = '*restrict';
      changed = true;
    }
  return changed;
}

/** The index of a loop's `omp parallel for`, `omp for` or `omp simd` pragma (-1: none): the OpenMP loops the writer makes. */
export function ompLoopPragma(f: For): number {
  return f.pragmas.findIndex((p) => /#pragma\s+omp\s+(parallel\s+for|for|simd)\b/.test(p));
}

/** The scalar reductions a pragma declares ("+:s", "max:m"); array sections (`x[0:n]`) are not scalars. */
function declaredScalarReductions(pragma: string): Set<string> {
  return new Set(reductionItems(pragma).flatMap((r) => (r.section === undefined ? [`${r.op}:${r.name}`] : [])));
}

/** The arrays a pragma reduces over a section (`reduction(+:x[0:n])`). */
export function declaredArrayReductions(pragma: string): Set<string> {
  return new Set(reductionItems(pragma).flatMap((r) => (r.section !== undefined ? [r.name] : [])));
}

/**
 * After a move that copies or reorders statements (unrolling, jamming, distribution, fusion) under
 * or around an OpenMP loop, its scalar reduction clause must still name exactly the scalars the
 * body reduces: the clause is rewritten to what the body now needs (a jam that made `tmp_1` next to
 * `tmp` adds it), or false when the body no longer reduces them (then the move is refused).
 */
export function refreshReductionClause(f: For): boolean {
  const i = ompLoopPragma(f);
  if (i < 0) return true;
  const red = reductionClause(f);
  if (red === null) return false;
  const want = declaredScalarReductions(red ?? '');
  const have = declaredScalarReductions(f.pragmas[i]);
  if (want.size === have.size && [...want].every((x) => have.has(x))) return true;
  // keep array sections, replace the scalar clauses
  const arrays = reductionItems(f.pragmas[i]).filter((r) => r.section !== undefined);
  let base = f.pragmas[i];
  for (const args of ompClauses(base, 'reduction')) base = base.replace(`reduction(${args})`, '');
  const sections = arrays.length ? `reduction(+:${arrays.map((r) => `${r.name}[${r.section}]`).join(', ')})` : '';
  f.pragmas[i] = [base.replace(/\s+/g, ' ').trim(), red, sections].filter(Boolean).join(' ');
  return true;
}
