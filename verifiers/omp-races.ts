import { arrayAccesses, assignedScalars, canonicalLoop, coeffOf, declaredNames, forEachExpr, forEachStmt, lex, parseC, printExpr, reductionItems, type Access, type Expr, type For, type Func, type Stmt } from '../csyntax/index.js';

import { checkRegions, classifyOmp } from './omp-regions.js';
import { scopeAccesses } from './omp-writes.js';

export type RaceCheck = { ok: true; parallelLoops: number } | { ok: false; line?: number; what: string } | { ok: 'unparsed'; why: string };

function clauseVars(pragma: string): Set<string> {
  const out = new Set<string>();
  for (const r of reductionItems(pragma)) if (!r.section) out.add(r.name);
  for (const m of pragma.matchAll(/\b(private|firstprivate|lastprivate|linear)\s*\(([^)]*)\)/g))
    m[2]
      .replace(/:.*$/, '')
      .split(',')
      .forEach((v) => out.add(v.trim()));
  return out;
}

/** Names that move with the loop variable: inner loops started from it, locals computed from it. */
function movingVars(f: For, v: string): Set<string> {
  const moving = new Set([v]);
  const uses = (s: Stmt) => {
    let u = false;
    forEachExpr(s, (e) => (u ||= e.k === 'id' && moving.has(e.name)));
    return u;
  };
  for (let changed = true; changed;) {
    changed = false;
    forEachStmt(f.body, (s) => {
      if (s.k === 'for') {
        const c = canonicalLoop(s);
        if (c && !moving.has(c.v) && [...moving].some((m) => coeffOf(c.lo, m) !== 0)) (moving.add(c.v), (changed = true));
      }
      if (s.k === 'decl') for (const d of s.decls) if (d.init && !moving.has(d.name) && uses({ k: 'expr', e: d.init })) (moving.add(d.name), (changed = true));
    });
  }
  return moving;
}

/** An index as a polynomial over names with integer coefficients (key: the sorted names of a monomial, "" for the constant). */
type Poly = Map<string, number>;

function polyOf(e: Expr): Poly | undefined {
  const add = (a: Poly, b: Poly, sign: number): Poly => {
    const out = new Map(a);
    for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) + sign * v);
    for (const [k, v] of out) if (v === 0) out.delete(k);
    return out;
  };
  switch (e.k) {
    case 'num': {
      const n = Number(e.text.replace(/[uUlL]+$/, ''));
      return Number.isSafeInteger(n) ? (n === 0 ? new Map() : new Map([['', n]])) : undefined;
    }
    case 'id':
      return new Map([[e.name, 1]]);
    case 'cast':
      return polyOf(e.arg);
    case 'un': {
      const a = polyOf(e.arg);
      if (!a || (e.op !== '-' && e.op !== '+')) return undefined;
      return e.op === '+' ? a : add(new Map(), a, -1);
    }
    case 'bin': {
      const a = polyOf(e.l);
      const b = polyOf(e.r);
      if (!a || !b) return undefined;
      if (e.op === '+' || e.op === '-') return add(a, b, e.op === '+' ? 1 : -1);
      if (e.op !== '*') return undefined;
      let out: Poly = new Map();
      for (const [ka, va] of a)
        for (const [kb, vb] of b) {
          const key = [...ka.split('*'), ...kb.split('*')].filter(Boolean).sort().join('*');
          out = add(out, new Map([[key, va * vb]]), 1);
        }
      return out;
    }
    default:
      return undefined;
  }
}

/** The coefficient of `v` in `p` (a polynomial without `v`), or undefined when `p` is not linear in `v`. */
function coefficient(p: Poly, v: string): Poly | undefined {
  const out: Poly = new Map();
  for (const [k, c] of p) {
    const names = k.split('*').filter(Boolean);
    const n = names.filter((x) => x === v).length;
    if (n > 1) return undefined;
    if (n === 1) out.set(names.filter((x) => x !== v).join('*'), c);
  }
  return out;
}

const samePoly = (a: Poly, b: Poly) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/** `d` as k·`a` for a non-zero integer k, or undefined. */
function multipleOf(d: Poly, a: Poly): number | undefined {
  if (!a.size || !d.size || d.size !== a.size) return undefined;
  const [k0, c0] = [...a][0];
  const k = (d.get(k0) ?? 0) / c0;
  return Number.isInteger(k) && k !== 0 && [...a].every(([key, c]) => d.get(key) === k * c) ? k : undefined;
}

/**
 * Does an access (a read, or a write) touch an element another iteration writes? An access to
 * exactly the written element (the same index) is the iteration's own; one offset from it by a
 * whole number of steps along the parallel variable (or, in a tiled loop, a variable moving with
 * it) is another iteration's: a definite collision. One whose dependence on those variables
 * differs from the write's (a fixed element, a row the loop does not own) may be anyone's: an
 * indefinite one, reported unless `definiteOnly` (then the other writes are still searched).
 */
function raceWith(access: Access, writes: Access[], v: string, moving: Set<string>, steps: Map<string, number>, definiteOnly = false): string | undefined {
  const show = (a: Access) => `${a.array}[${printExpr(a.idx)}]`;
  const does = access.write ? 'writes' : 'reads';
  const what = access.write ? 'one' : 'read';
  for (const w of writes) {
    if (w === access || printExpr(w.idx) === printExpr(access.idx)) continue;
    const indefinite = (why: string) => (definiteOnly ? undefined : `${does} ${show(access)} while iterations write ${show(w)}${why}`);
    const pw = polyOf(w.idx);
    const pr = polyOf(access.idx);
    if (!pw || !pr) {
      const r = indefinite(' (an index form the race analysis cannot separate)');
      if (r) return r;
      continue;
    }
    const d = new Map(pr);
    for (const [k, c] of pw) d.set(k, (d.get(k) ?? 0) - c);
    for (const [k, c] of d) if (c === 0) d.delete(k);
    if (!d.size) continue;
    // Along the parallel variable itself when the write uses it, else along what moves with it.
    const along = (coefficient(pw, v)?.size ?? 1) !== 0 ? [v] : [...moving];
    for (const m of along) {
      const aw = coefficient(pw, m);
      const ar = coefficient(pr, m);
      if (!aw || !ar) {
        const r = indefinite(` (not linear in ${m})`);
        if (r) return r;
        break;
      }
      if (!aw.size && !ar.size) continue;
      if (!samePoly(aw, ar)) {
        const r = indefinite(`: the ${what} does not follow ${m} as the write does`);
        if (r) return r;
        break;
      }
      const k = multipleOf(d, aw);
      // a loop variable takes every step-th value: m+k is another iteration only if its step divides k
      if (k !== undefined && k % (steps.get(m) ?? 1) === 0) return `iteration ${m} ${does} ${show(access)}, which iteration ${m}${k > 0 ? '+' : ''}${k} writes as ${show(w)}`;
    }
  }
  return undefined;
}

/** Does evaluating the expression read memory (an array element, a dereference, a member, a call)? */
function readsMemory(e: Expr): boolean {
  let reads = false;
  forEachExpr({ k: 'expr', e }, (x) => (reads ||= x.k === 'index' || x.k === 'call' || x.k === 'member' || (x.k === 'un' && x.op === '*')));
  return reads;
}

/**
 * The loops an OpenMP loop shares out: itself, and with `collapse(n)` the n - 1 loops nested
 * perfectly inside it (each the only statement of the one before). Undefined when they are not
 * canonical loops nested that way.
 */
function collapsedLoops(f: For, pragma: string): { v: string; loop: For }[] | undefined {
  const n = Number(/\bcollapse\s*\(\s*(\d+)\s*\)/.exec(pragma)?.[1] ?? 1);
  const out: { v: string; loop: For }[] = [];
  let cur: Stmt | undefined = f;
  for (let k = 0; k < n; k++) {
    if (!cur || cur.k !== 'for') return undefined;
    const c = canonicalLoop(cur);
    if (!c) return undefined;
    out.push({ v: c.v, loop: cur });
    let body: Stmt = cur.body;
    while (body.k === 'block' && body.body.length === 1) body = body.body[0];
    cur = k + 1 < n ? body : undefined;
  }
  return out;
}

/** Indices (as written) of the array accesses in statements an `omp atomic` or `omp critical` pragma guards. */
function atomicIndices(body: Stmt): Set<Expr> {
  const out = new Set<Expr>();
  forEachStmt(body, (st) => {
    if (st.k !== 'block') return;
    st.body.forEach((x, i) => {
      const next = st.body[i + 1];
      // (`atomic read` and `atomic write` make one access atomic, not a read-modify-write: no guard)
      if (x.k === 'pragma' && /#\s*pragma\s+omp\s+(atomic(\s+update)?|critical(\s*\([^)]*\))?)\s*$/.test(x.text) && next) for (const a of arrayAccesses(next)) out.add(a.idx);
    });
  });
  return out;
}

function pragmaLines(source: string): Map<string, number> {
  const lines = new Map<string, number>();
  for (const t of lex(source)) if (t.kind === 'pp' && !lines.has(t.text)) lines.set(t.text, t.line);
  return lines;
}

/**
 * Arrays an OpenMP loop reduces over a section (`reduction(+:y[0:N])`): each thread adds into its own
 * zeroed copy, combined at the end, so iterations may update the same elements. Accepted only when
 * the section is the whole array (`0:LEN` or `:LEN`, LEN the target's own length expression, spaces
 * aside), the operator is + or -, and every occurrence of the array in the loop is the left side of
 * a `+=` or `-=` (a read of it would see a partial sum): otherwise the reason why not.
 */
function sectionReductions(pragma: string, body: Stmt, lengths: Record<string, string>): { arrays: Set<string> } | { problem: string } {
  const arrays = new Set<string>();
  const squash = (x: string) => x.replace(/\s+/g, '');
  for (const { op, name, section } of reductionItems(pragma)) {
    if (section === undefined) continue;
    const len = lengths[name];
    if (op !== '+' && op !== '-') return { problem: `reduces ${name} with ${op} over a section, which the race analysis does not judge` };
    if (!len || ![`0:${squash(len)}`, `:${squash(len)}`].includes(squash(section))) return { problem: `reduces ${name}[${section}], a section that is not the whole of ${name}${len ? ` (0:${len})` : ''}` };
    arrays.add(name);
  }
  if (!arrays.size) return { arrays };
  const updates = new Set<Expr>();
  forEachExpr(body, (e) => {
    if (e.k === 'assign' && (e.op === '+=' || e.op === '-=') && e.l.k === 'index' && e.l.arr.k === 'id' && arrays.has(e.l.arr.name)) updates.add(e.l.arr);
  });
  let other: string | undefined;
  forEachExpr(body, (e) => {
    if (!other && e.k === 'id' && arrays.has(e.name) && !updates.has(e)) other = e.name;
  });
  return other ? { problem: `reduces ${other} over a section but also reads or assigns it in the loop (only += and -= into it are allowed)` } : { arrays };
}

/**
 * Data-sharing analysis of every OpenMP loop (parallel for, simd): a scalar declared outside the
 * loop and written inside it needs a reduction or private clause; an array element written must
 * be indexed by the loop variable (or something moving with it), unless the loop reduces the whole
 * array over a section and only adds into it; an element read must not be one another iteration
 * writes. Otherwise iterations race. `lengths`: each array parameter's length as a C expression.
 */
export function checkOmpRaces(source: string, fn: string, lengths: Record<string, string> = {}): RaceCheck {
  if (!/#\s*pragma\s+omp/.test(source)) return { ok: true, parallelLoops: 0 };
  let fnc: Func | undefined;
  /** The file's functions by name (calls into them are followed). */
  const helpers = new Map<string, Func>();
  try {
    const items = parseC(source).items;
    fnc = items.find((t): t is Func => t.k === 'func' && t.name === fn);
    for (const t of items) if (t.k === 'func' && t.name !== fn) helpers.set(t.name, t);
  } catch (e) {
    return { ok: 'unparsed', why: (e as Error).message };
  }
  if (!fnc) return { ok: 'unparsed', why: `${fn} not found` };
  const lines = pragmaLines(source);
  // Directives the analysis does not know, and parallel regions (what every thread runs), first.
  const regional = checkRegions(fnc, (p) => lines.get(p), helpers);
  if (regional) return { ok: false, line: regional.line, what: regional.unjudged ? `its OpenMP code cannot be shown free of races: ${regional.what}` : regional.what };
  let loops = 0;
  let problem: RaceCheck | undefined;
  forEachStmt(fnc.body, (s) => {
    if (problem || s.k !== 'for') return;
    const pragma = s.pragmas.find((p) => classifyOmp(p) === 'loop' || classifyOmp(p) === 'worksharing');
    if (!pragma) return;
    loops++;
    const line = lines.get(pragma);
    const c = canonicalLoop(s);
    if (!c) {
      problem = { ok: 'unparsed', why: 'an OpenMP loop is not in canonical form' };
      return;
    }
    const clauses = clauseVars(pragma);
    const inside = declaredNames(s.body);
    for (const [name] of assignedScalars(s.body))
      if (name !== c.v && !inside.has(name) && !clauses.has(name)) {
        problem = { ok: false, line, what: `a data race: iterations of the parallel loop over ${c.v} all write the shared variable ${name} (no reduction or private clause)` };
        return;
      }
    const sections = sectionReductions(pragma, s.body, lengths);
    if ('problem' in sections) {
      problem = { ok: false, line, what: `a data race: the parallel loop over ${c.v} ${sections.problem}` };
      return;
    }
    // collapse(n): the n loops' variables are all shared out, each must separate what iterations touch
    const collapsed = collapsedLoops(s, pragma);
    if (!collapsed) {
      problem = { ok: false, line, what: `its OpenMP code cannot be shown free of races: the loop over ${c.v} collapses loops that are not perfectly nested canonical loops` };
      return;
    }
    const moving = movingVars(s, c.v);
    // each loop variable's step (the parallel loop's, and those of the loops inside it)
    const steps = new Map<string, number>();
    forEachStmt(s, (x) => {
      const cx = x.k === 'for' ? canonicalLoop(x) : undefined;
      if (cx) steps.set(cx.v, Math.abs(cx.step) || 1);
    });
    // Every access, writes and reads through pointers and copy calls followed to the arrays they reach.
    const scan = scopeAccesses(fnc!, s, s.body, helpers);
    if (scan.unjudged) {
      problem = { ok: false, line, what: `its OpenMP code cannot be shown free of races: the parallel loop over ${c.v} ${scan.unjudged}` };
      return;
    }
    const accesses = scan.accesses.filter((a) => !sections.arrays.has(a.array));
    const guarded = atomicIndices(s.body);
    // Locals that move with the loop through something no polynomial describes (int i = h >> 1,
    // int k = keys[i]): two iterations may hold the same value.
    // (inner loops' own variables are judged as loop variables, as before)
    const opaque = new Set<string>();
    const loopInits = new Set<Stmt>();
    forEachStmt(s.body, (x) => {
      if (x.k === 'for' && x.init) loopInits.add(x.init);
    });
    forEachStmt(s.body, (x) => {
      if (x.k === 'decl' && !loopInits.has(x)) for (const d of x.decls) if (d.init && moving.has(d.name) && !polyOf(d.init)) opaque.add(d.name);
    });
    const mentionsOpaque = (e: Expr) => {
      let yes = false;
      forEachExpr({ k: 'expr', e }, (x) => (yes ||= x.k === 'id' && opaque.has(x.name)));
      return yes;
    };
    for (const a of accesses) {
      if (!a.write || inside.has(a.array) || guarded.has(a.idx) || readsMemory(a.idx)) continue;
      // an index no polynomial describes (h >> 1, i / 2, i % 4, a choice): two iterations may write one element
      if (!polyOf(a.idx) || mentionsOpaque(a.idx)) {
        problem = { ok: false, line, what: `a data race: iterations of the parallel loop over ${c.v} write ${a.array}[${printExpr(a.idx)}], an index the race analysis cannot show to differ between iterations` };
        return;
      }
    }
    for (const { v, loop } of collapsed) {
      const mv = loop === s ? moving : movingVars(loop, v);
      for (const a of accesses) {
        if (!a.write || inside.has(a.array) || guarded.has(a.idx) || readsMemory(a.idx)) continue;
        if ([...mv].every((m) => coeffOf(a.idx, m) === 0)) {
          problem = { ok: false, line, what: `a data race: iterations of the parallel loop over ${v} all write ${a.array}[...] at an index that does not depend on ${v}` };
          return;
        }
      }
      // Reads of what other iterations write: arrays the loop never writes, and the very element an
      // iteration writes itself, are fine. Then two writes whose element another iteration also
      // writes (x[i] and x[i + 1] at step 1): only a definite collision is a race there (symmetric
      // writes such as cov[i][j] and cov[j][i] cannot be separated by this analysis and are left to
      // the tests' thread counts and the determinism check).
      for (const r of [...accesses.filter((a) => !a.write), ...accesses.filter((a) => a.write)]) {
        if (inside.has(r.array)) continue;
        const writes = accesses.filter((w) => w.write && w.array === r.array);
        const race = writes.length ? raceWith(r, writes, v, mv, steps, r.write) : undefined;
        if (race) {
          problem = { ok: false, line, what: `a data race: in the parallel loop over ${v}, ${race}` };
          return;
        }
      }
    }
    // A write at an index read from memory (counts[keys[i]], y[perm[i]]): two iterations may hold
    // the same value (nothing says the data has no repeats), so they may write one element.
    const scattered = accesses.find((a) => a.write && !inside.has(a.array) && !guarded.has(a.idx) && readsMemory(a.idx));
    if (scattered)
      problem = {
        ok: false,
        line,
        what: `a data race: iterations of the parallel loop over ${c.v} write ${scattered.array}[${printExpr(scattered.idx)}], an index read from data that two iterations may share (an omp atomic update, or a reduction over ${scattered.array}, makes it safe)`,
      };
  });
  return problem ?? { ok: true, parallelLoops: loops };
}
