import { arrayAccesses, assignedScalars, canonicalLoop, coeffOf, declaredNames, forEachExpr, forEachStmt, lex, parseC, type For, type Func, type Stmt } from '../csyntax/index.js';

export type RaceCheck = { ok: true; parallelLoops: number } | { ok: false; line?: number; what: string } | { ok: 'unparsed'; why: string };

function clauseVars(pragma: string): Set<string> {
  const out = new Set<string>();
  for (const m of pragma.matchAll(/\b(reduction|private|firstprivate|lastprivate|linear)\s*\(([^)]*)\)/g)) {
    const list = m[1] === 'reduction' ? m[2].slice(m[2].indexOf(':') + 1) : m[2].replace(/:.*$/, '');
    list.split(',').forEach((v) => out.add(v.trim()));
  }
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
  for (let changed = true; changed; ) {
    changed = false;
    forEachStmt(f.body, (s) => {
      if (s.k === 'for') {
        const c = canonicalLoop(s);
        if (c && !moving.has(c.v) && [...moving].some((m) => coeffOf(c.lo, m) !== 0)) moving.add(c.v), (changed = true);
      }
      if (s.k === 'decl')
        for (const d of s.decls) if (d.init && !moving.has(d.name) && uses({ k: 'expr', e: d.init })) moving.add(d.name), (changed = true);
    });
  }
  return moving;
}

function pragmaLines(source: string): Map<string, number> {
  const lines = new Map<string, number>();
  for (const t of lex(source)) if (t.kind === 'pp' && !lines.has(t.text)) lines.set(t.text, t.line);
  return lines;
}

/**
 * Data-sharing analysis of every OpenMP loop (parallel for, simd): a scalar declared outside the
 * loop and written inside it needs a reduction or private clause; an array element written must
 * be indexed by the loop variable (or something moving with it). Otherwise iterations race.
 */
export function checkOmpRaces(source: string, fn: string): RaceCheck {
  if (!/#\s*pragma\s+omp/.test(source)) return { ok: true, parallelLoops: 0 };
  let fnc: Func | undefined;
  try {
    fnc = parseC(source).items.find((t): t is Func => t.k === 'func' && t.name === fn);
  } catch (e) {
    return { ok: 'unparsed', why: (e as Error).message };
  }
  if (!fnc) return { ok: 'unparsed', why: `${fn} not found` };
  const lines = pragmaLines(source);
  let loops = 0;
  let problem: RaceCheck | undefined;
  forEachStmt(fnc.body, (s) => {
    if (problem || s.k !== 'for') return;
    const pragma = s.pragmas.find((p) => /#\s*pragma\s+omp\b.*\b(for|simd)\b/.test(p));
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
    const moving = movingVars(s, c.v);
    for (const a of arrayAccesses(s.body)) {
      if (!a.write || inside.has(a.array)) continue;
      const cs = [...moving].map((m) => coeffOf(a.idx, m));
      if (cs.every((k) => k === 0)) {
        problem = { ok: false, line, what: `a data race: iterations of the parallel loop over ${c.v} all write ${a.array}[...] at an index that does not depend on ${c.v}` };
        return;
      }
    }
  });
  return problem ?? { ok: true, parallelLoops: loops };
}
