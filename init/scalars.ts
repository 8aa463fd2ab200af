import { forEachStmt, printExpr, type Expr, type Func, type Stmt } from '../csyntax/index.js';

/**
 * What kloop init makes of a scalar parameter (alpha, beta, eps) from how the kernel uses it:
 * a range the verifier draws it from, with the use that decided it, or why no use tells.
 */
export type ScalarGuess = { range: [number, number]; bench: number; why: string } | { why: string; range?: undefined };

/** A coefficient or a term (`alpha * A[i]`, `x + bias`, `v > t`): any sign will do. */
const SIGNED = { range: [-2, 2] as [number, number], bench: 1.5 };
/** A divisor, or under sqrt/log, or a pow base: positive values only (0 excluded). */
const POSITIVE = { range: [0.001, 2] as [number, number], bench: 0.5 };

type Use = { kind: 'positive' | 'signed' | 'opaque'; how: string };

const POSITIVE_ARG = /^(sqrt|rsqrt|log|log2|log10|log1p)f?$/;

/**
 * Guess each scalar's range from its uses in the kernel (and in the file's functions it is passed
 * to): positive where some use needs it (a divisor, under sqrt or log, a pow base); any sign in
 * [-2, 2] where it is a coefficient, a term or a threshold; undecided where it is unused, used
 * as an integer (an index, a loop bound, a cast), as an exponent, or only where kloop cannot follow.
 */
export function guessScalars(fn: Func, helpers: ReadonlyMap<string, Func>, names: string[]): Map<string, ScalarGuess> {
  const out = new Map<string, ScalarGuess>();
  for (const name of names) {
    const uses = usesOf(fn, name, helpers, 0);
    const opaque = uses.find((u) => u.kind === 'opaque');
    const positive = uses.find((u) => u.kind === 'positive');
    const signed = uses.find((u) => u.kind === 'signed');
    if (opaque) out.set(name, { why: `${name} is ${opaque.how}, which says nothing of the values it may take: give value: X or range: [LO, HI]` });
    else if (positive) out.set(name, { ...POSITIVE, why: `${positive.how}: drawn from a positive range` });
    else if (signed) out.set(name, { ...SIGNED, why: `${signed.how}: drawn from a range of either sign` });
    else out.set(name, { why: `no use of ${name} tells what values it may take (it is not used in arithmetic kloop can read): give value: X or range: [LO, HI]` });
  }
  return out;
}

function usesOf(fn: Func, name: string, helpers: ReadonlyMap<string, Func>, depth: number): Use[] {
  // Locals that copy the scalar (`float a = alpha;`) are the scalar.
  const names = new Set([name]);
  forEachStmt(fn.body, (s) => {
    if (s.k === 'decl') for (const d of s.decls) if (d.init && bare(d.init, names)) names.add(d.name);
  });
  const uses: Use[] = [];
  const show = (e: Expr) => printExpr(e).slice(0, 60);
  const visit = (e: Expr, parent: Expr | undefined, under: Use | undefined): void => {
    if (e.k === 'id' && names.has(e.name)) {
      if (under) uses.push(under);
      else if (parent?.k === 'bin' && ['*', '+', '-'].includes(parent.op)) uses.push({ kind: 'signed', how: `a ${parent.op === '*' ? 'coefficient' : 'term'} (${show(parent)})` });
      else if (parent?.k === 'bin' && ['<', '>', '<=', '>='].includes(parent.op)) uses.push({ kind: 'signed', how: `a threshold (${show(parent)})` });
      else if (parent?.k === 'bin' && parent.op === '/' && parent.l === e) uses.push({ kind: 'signed', how: `a dividend (${show(parent)})` });
      else if (parent?.k === 'assign' && parent.r === e && ['=', '*=', '+=', '-='].includes(parent.op)) uses.push({ kind: 'signed', how: `a factor or term (${show(parent)})` });
      else if (parent?.k === 'un' && parent.op === '-') uses.push({ kind: 'signed', how: `negated (${show(parent)})` });
      return;
    }
    switch (e.k) {
      case 'bin': {
        visit(e.l, e, under);
        // The divisor, whatever sum or product it sits in, must not be zero: taken positive.
        const divisor = e.op === '/' && mentions(e.r, names) ? { kind: 'positive' as const, how: `in a divisor (${show(e)})` } : undefined;
        if (e.op === '%' && mentions(e.r, names)) uses.push({ kind: 'opaque', how: `an operand of % (${show(e)})` });
        visit(e.r, e, under ?? divisor);
        return;
      }
      case 'assign':
        if (e.l.k === 'id' && names.has(e.l.name)) uses.push({ kind: 'opaque', how: `assigned in the kernel (${show(e)})` });
        visit(e.l, e, under);
        visit(e.r, e, under);
        return;
      case 'un':
      case 'post':
        visit(e.arg, e, under);
        return;
      case 'cast':
        if (e.type === 'void') return;
        if (!/\b(float|double|real)\b/.test(e.type) && mentions(e.arg, names)) uses.push({ kind: 'opaque', how: `converted to ${e.type} (${show(e)})` });
        visit(e.arg, e, under);
        return;
      case 'cond':
        [e.c, e.t, e.f].forEach((x) => visit(x, e, under));
        return;
      case 'index':
        if (mentions(e.idx, names)) uses.push({ kind: 'opaque', how: `used in an index (${show(e)})` });
        visit(e.arr, e, under);
        visit(e.idx, e, under);
        return;
      case 'call': {
        const f = e.fn.k === 'id' ? e.fn.name : '';
        const base = f.replace(/f$/, '');
        e.args.forEach((a, i) => {
          if (!mentions(a, names)) return;
          if (POSITIVE_ARG.test(f)) return visit(a, e, under ?? { kind: 'positive', how: `under ${f} (${show(e)})` });
          if (base === 'pow' && i === 0) return visit(a, e, under ?? { kind: 'positive', how: `the base of ${f} (${show(e)})` });
          if (base === 'pow') return void uses.push({ kind: 'opaque', how: `an exponent of ${f} (${show(e)})` });
          const h = helpers.get(f);
          if (h && bare(a, names) && depth < 4 && h.params[i]) return void uses.push(...usesOf(h, h.params[i].name, helpers, depth + 1));
          if (h) return void uses.push({ kind: 'opaque', how: `passed to ${f} in an expression kloop does not follow` });
          visit(a, e, under);
        });
        return;
      }
      case 'comma':
        visit(e.l, e, under);
        visit(e.r, e, under);
        return;
      case 'member':
        visit(e.obj, e, under);
        return;
      case 'init':
        e.items.forEach((x) => visit(x, e, under));
        return;
    }
  };
  forEachTop(fn.body, (e, loopHeader) => {
    if (loopHeader && mentions(e, names)) uses.push({ kind: 'opaque', how: `in a loop's header (${show(e)})` });
    else visit(e, undefined, undefined);
  });
  return uses;
}

const bare = (e: Expr, names: Set<string>): boolean => (e.k === 'id' && names.has(e.name)) || (e.k === 'cast' && /\b(float|double|real)\b/.test(e.type) && bare(e.arg, names));

function mentions(e: Expr, names: Set<string>): boolean {
  let hit = false;
  forEachTop({ k: 'expr', e }, (x) => {
    const walk = (y: Expr): void => {
      if (hit) return;
      if (y.k === 'id') hit = names.has(y.name);
      else for (const c of children(y)) walk(c);
    };
    walk(x);
  });
  return hit;
}

function children(e: Expr): Expr[] {
  switch (e.k) {
    case 'bin':
    case 'assign':
    case 'comma':
      return [e.l, e.r];
    case 'un':
    case 'post':
    case 'cast':
      return [e.arg];
    case 'cond':
      return [e.c, e.t, e.f];
    case 'call':
      return [e.fn, ...e.args];
    case 'index':
      return [e.arr, e.idx];
    case 'member':
      return [e.obj];
    case 'init':
      return e.items;
    default:
      return [];
  }
}

/** Each top-level expression of a statement tree; `loopHeader` for a loop's condition and step. */
function forEachTop(s: Stmt, f: (e: Expr, loopHeader: boolean) => void): void {
  switch (s.k) {
    case 'block':
      s.body.forEach((b) => forEachTop(b, f));
      return;
    case 'decl':
      for (const d of s.decls) {
        d.dims.forEach((x) => f(x, true));
        if (d.init) f(d.init, false);
      }
      return;
    case 'expr':
      f(s.e, false);
      return;
    case 'for':
      if (s.init) forEachTop(s.init, (e) => f(e, true));
      if (s.cond) f(s.cond, true);
      if (s.step) f(s.step, true);
      forEachTop(s.body, f);
      return;
    case 'while':
    case 'do':
      f(s.cond, true);
      forEachTop(s.body, f);
      return;
    case 'if':
      f(s.cond, false);
      forEachTop(s.then, f);
      if (s.else) forEachTop(s.else, f);
      return;
    case 'return':
      if (s.e) f(s.e, false);
      return;
    default:
      return;
  }
}
