import { assignedScalars, canonicalLoop, declaredNames, forEachExpr, forEachStmt, printExpr, type For, type Func, type Stmt } from '../csyntax/index.js';
import { scopeAccesses } from './omp-writes.js';

/** What the race analysis makes of one OpenMP directive. */
export type OmpDirective = 'loop' | 'worksharing' | 'region' | 'guard' | 'barrier' | 'unsupported';

const REGION_CLAUSES = /^(num_threads|if|default|shared|private|firstprivate|proc_bind|copyin)\b/;

/**
 * `#pragma omp parallel for` and `simd` loops are judged one by one (omp-races.ts); `omp for` is a
 * worksharing loop (judged the same way, and run by a team only inside a parallel region); a bare
 * `omp parallel` is a region (judged here); `atomic` and `critical` guard the statement after them;
 * `barrier` only adds order. Anything else (sections, single, master, task, nested teams, a
 * region's reduction) is not judged, so a kernel using it is not shown free of races.
 */
export function classifyOmp(pragma: string): OmpDirective | undefined {
  const m = /^#\s*pragma\s+omp\s+(.*)$/.exec(pragma.trim());
  if (!m) return undefined;
  const rest = m[1].trim();
  if (/^parallel\s+for\b/.test(rest)) return 'loop';
  if (/^(for|simd)\b/.test(rest)) return rest.startsWith('for') ? 'worksharing' : 'loop';
  if (/^(atomic|critical)\b/.test(rest)) return 'guard';
  if (/^barrier\s*$/.test(rest)) return 'barrier';
  if (/^parallel\b/.test(rest)) {
    const after = rest.slice('parallel'.length).trim();
    if (/\breduction\s*\(/.test(after)) return 'unsupported';
    return !after || REGION_CLAUSES.test(after) ? 'region' : 'unsupported';
  }
  return 'unsupported';
}

/** A region: the statement its threads all run, the names its clauses make private, its pragma. */
interface Region {
  body: Stmt;
  pragma: string;
}

function regionsOf(fn: Func): Region[] {
  const out: Region[] = [];
  forEachStmt(fn.body, (s) => {
    if (s.k === 'for') {
      const p = s.pragmas.find((x) => classifyOmp(x) === 'region');
      if (p) out.push({ body: s, pragma: p });
    }
    if (s.k === 'block')
      s.body.forEach((x, i) => {
        const next = s.body[i + 1];
        if (x.k === 'pragma' && classifyOmp(x.text) === 'region' && next) out.push({ body: next, pragma: x.text });
      });
  });
  return out;
}

function clauseNames(pragma: string, clause: string): Set<string> {
  const out = new Set<string>();
  for (const m of pragma.matchAll(new RegExp(`\\b${clause}\\s*\\(([^)]*)\\)`, 'g'))) m[1].split(',').forEach((v) => out.add(v.trim()));
  return out;
}

const isWorksharing = (s: Stmt): boolean => s.k === 'for' && s.pragmas.some((p) => classifyOmp(p) === 'worksharing' || classifyOmp(p) === 'loop');

/**
 * The statements of a region every thread runs (its worksharing loops and guarded statements left
 * out): what they write must be each thread's own (declared inside the region, or private by a
 * clause), or every thread writes it.
 */
function redundantStatements(body: Stmt): Stmt[] {
  const out: Stmt[] = [];
  const visit = (s: Stmt): void => {
    if (isWorksharing(s)) return;
    if (s.k === 'block') {
      s.body.forEach((x, i) => {
        const prev = s.body[i - 1];
        if (prev?.k === 'pragma' && classifyOmp(prev.text) === 'guard') return;
        visit(x);
      });
      return;
    }
    if (s.k === 'for') {
      // a loop every thread runs: its header is redundant, its body visited for what it holds
      out.push({ k: 'for', init: s.init, cond: s.cond, step: s.step, body: { k: 'empty' }, pragmas: [] });
      return visit(s.body);
    }
    if (s.k === 'while' || s.k === 'do') {
      out.push({ k: 'expr', e: s.cond });
      return visit(s.body);
    }
    if (s.k === 'if') {
      out.push({ k: 'expr', e: s.cond });
      visit(s.then);
      if (s.else) visit(s.else);
      return;
    }
    out.push(s);
  };
  visit(body);
  return out;
}

/**
 * Two worksharing loops with plain schedule(static) (no chunk, collapse or simd) over the same bounds and
 * step: OpenMP gives each thread the same iterations in both (the same static schedule over the
 * same iteration count, in one region), so iteration i of one and of the other run on one thread.
 * Returns the second loop's variable, or undefined.
 */
function sameStatic(a: For, b: For): string | undefined {
  const plain = (f: For) => {
    const p = f.pragmas.find((x) => classifyOmp(x) === 'worksharing') ?? '';
    return /\bschedule\s*\(\s*static\s*\)/.test(p) && !/\bcollapse\b|\bordered\b|\bsimd\b/.test(p);
  };
  const ca = canonicalLoop(a);
  const cb = canonicalLoop(b);
  if (!ca || !cb || !plain(a) || !plain(b) || ca.step !== cb.step) return undefined;
  return printExpr(ca.lo) === printExpr(cb.lo) && printExpr(ca.hi) === printExpr(cb.hi) ? cb.v : undefined;
}

/**
 * Every OpenMP construct the loop analysis does not judge by itself: directives it does not know,
 * and parallel regions. In a region, what every thread runs may write only its own data; a
 * worksharing loop with `nowait` (no barrier after it) must have a static schedule and bounds the
 * region does not change (so that every pass gives each thread the same iterations), and nothing
 * else in the region may touch what it writes. Returns the first problem, or undefined.
 */
export function checkRegions(fn: Func, lineOf: (pragma: string) => number | undefined, helpers: ReadonlyMap<string, Func> = new Map()): { line?: number; what: string; unjudged?: boolean } | undefined {
  let problem: { line?: number; what: string; unjudged?: boolean } | undefined;
  forEachStmt(fn.body, (s) => {
    if (problem) return;
    const pragmas = s.k === 'for' ? s.pragmas : s.k === 'pragma' ? [s.text] : [];
    for (const p of pragmas)
      if (classifyOmp(p) === 'unsupported')
        problem = { line: lineOf(p), what: `an OpenMP construct the race analysis does not judge (${p.trim()}); kloop judges parallel for, for and simd loops, parallel regions around them, atomic, critical and barrier`, unjudged: true };
  });
  if (problem) return problem;
  for (const r of regionsOf(fn)) {
    const line = lineOf(r.pragma);
    const own = new Set([...declaredNames(r.body), ...clauseNames(r.pragma, 'private'), ...clauseNames(r.pragma, 'firstprivate')]);
    if (r.body.k === 'for') {
      const c = canonicalLoop(r.body);
      if (c?.declared) own.add(c.v);
    }
    let nested = false;
    forEachStmt(r.body, (x) => {
      if (x === r.body) return;
      const ps = x.k === 'for' ? x.pragmas : x.k === 'pragma' ? [x.text] : [];
      nested ||= ps.some((p) => classifyOmp(p) === 'region' || /omp\s+parallel\s+for/.test(p));
    });
    if (nested) return { line, what: 'a parallel region inside a parallel region, which the race analysis does not judge', unjudged: true };
    // what every thread runs, and its accesses: judged here, and read again below for nowait loops
    const redundant = redundantStatements(r.body).map((st) => ({ st, scan: scopeAccesses(fn, r.body, st, helpers) }));
    for (const { st, scan } of redundant) {
      for (const [name] of assignedScalars(st)) if (!own.has(name)) return { line, what: `a data race: every thread of the parallel region writes the shared variable ${name} (outside a worksharing loop, without atomic or critical)` };
      if (scan.unjudged) return { line, what: `the parallel region ${scan.unjudged}`, unjudged: true };
      const w = scan.accesses.find((a) => a.write);
      if (w) return { line, what: `a data race: every thread of the parallel region writes ${w.array}[${printExpr(w.idx)}] (outside a worksharing loop, without atomic or critical)` };
    }
    const written = assignedScalars(r.body);
    const loops: For[] = [];
    forEachStmt(r.body, (x) => {
      if (x.k === 'for' && isWorksharing(x)) loops.push(x);
    });
    for (const wl of loops) {
      const p = wl.pragmas.find((x) => classifyOmp(x) === 'worksharing') ?? '';
      if (!/\bnowait\b/.test(p)) continue;
      const wline = lineOf(p);
      const sched = /\bschedule\s*\(([^)]*)\)/.exec(p)?.[1]?.replace(/\s+/g, '');
      const c = canonicalLoop(wl);
      if (sched !== 'static' || !c)
        return { line: wline, what: 'a worksharing loop with nowait and no plain schedule(static): threads may not own the same iterations on every pass, which the race analysis cannot rule out', unjudged: true };
      const bounds = new Set<string>();
      for (const e of [c.lo, c.hi]) forEachExpr({ k: 'expr', e }, (x) => x.k === 'id' && bounds.add(x.name));
      const moved = [...bounds].find((b) => written.has(b) || own.has(b));
      if (moved) return { line: wline, what: `a worksharing loop with nowait whose bounds depend on ${moved}, which the region declares or changes: threads may not own the same iterations on every pass`, unjudged: true };
      const ownAccesses = scopeAccesses(fn, wl, wl.body, helpers).accesses;
      const mine = new Set(ownAccesses.filter((a) => a.write).map((a) => a.array));
      // An array this loop touches only at its own index (y[i]), touched by a later loop of the same
      // static schedule and bounds only at that loop's index: one thread makes both (see sameStatic).
      const atOwnIndex = (array: string) => ownAccesses.every((a) => a.array !== array || printExpr(a.idx) === c.v);
      const elsewhere = [...redundant.map((x) => ({ scan: x.scan, v: undefined as string | undefined })), ...loops.filter((o) => o !== wl).map((o) => ({ scan: scopeAccesses(fn, r.body, o, helpers), v: sameStatic(wl, o) }))];
      for (const { scan, v } of elsewhere) {
        const touched = scan.accesses.find((a) => mine.has(a.array) && !(v !== undefined && printExpr(a.idx) === v && atOwnIndex(a.array)));
        if (touched) return { line: wline, what: `a data race: a worksharing loop with nowait writes ${touched.array}, which the region also ${touched.write ? 'writes' : 'reads'} outside it without a barrier between` };
      }
    }
  }
  return undefined;
}
