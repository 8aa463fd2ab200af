import type { Size, Target } from '../targets/index.js';
import { libm } from './c-const-eval.js';
import { readProgram, showExpr, walkExpr, type CExpr } from './c-expr.js';
import { scopeLoopVariables, unscoped } from './loop-scopes.js';
import { exprIntType, intTypeOf, sizeCeilings, typeMax } from './c-int-types.js';
import { Analysis, MACHINE_CALLS, MINMAX, CMP, valueIds } from './size-flow.js';
import type { SizeAnalysis, SizePath } from './size-path-types.js';

// The size-path layer's public face: the analysis here, its types, and the sizes chosen from it.
export type { SizeAnalysis, SizePath } from './size-path-types.js';
export { pathSizes, type PathBudget, type PathSizes } from './path-sizes.js';

/** The values of the size-derived side at which a boundary of this kind may change behaviour. */
function boundaryValues(kind: SizePath['kind'], c: number): number[] {
  const around = (v: number) => [v - 1, v, v + 1];
  switch (kind) {
    case 'cmp':
      return Number.isInteger(c) ? around(c) : [Math.floor(c) - 1, Math.floor(c), Math.ceil(c), Math.ceil(c) + 1];
    case 'mod':
    case 'div': {
      const m = Math.abs(Math.trunc(c));
      return m <= 1 ? [] : [...around(m), ...around(2 * m)];
    }
    case 'shift': {
      if (c < 0 || c > 40) return [];
      const p = 2 ** c;
      return [...around(p), ...around(2 * p)];
    }
    case 'mask': {
      // Each run of set bits [lo, hi] changes behaviour at multiples of 2^lo and at 2^(hi+1).
      const out: number[] = [];
      const bits = BigInt.asUintN(40, BigInt(Math.trunc(c)));
      for (let b = 0; b < 40;) {
        if (!((bits >> BigInt(b)) & 1n)) {
          b++;
          continue;
        }
        let hi = b;
        while (hi + 1 < 40 && (bits >> BigInt(hi + 1)) & 1n) hi++;
        out.push(...around(2 ** b));
        if (hi + 1 < 40) out.push(...around(2 ** (hi + 1)));
        b = hi + 1;
      }
      return out;
    }
  }
}

/** Find the size-dependent paths of a (preprocessed) kernel. */
export function analyseSizePaths(t: Target, preprocessed: string): SizeAnalysis {
  // Two loops' variables of one name are two variables (`k` over nnz, then `k` over a row).
  const prog = readProgram(scopeLoopVariables(preprocessed));
  const a = new Analysis(t, prog);
  const paths: SizePath[] = [];
  const opaque: SizeAnalysis['opaque'] = [];
  const sweeps: SizeAnalysis['sweeps'] = [];
  const periods = new Set<number>();
  const all = t.sizeSymbols;
  const ceilings = sizeCeilings(t.params);
  const lowest: Size = Object.fromEntries(all.map((s) => [s, Math.max(1, t.limits[s].min)]));
  const add = (kind: SizePath['kind'], cs: number[], side: CExpr, whole: CExpr, line: number) => {
    // A size stored in memory and read back (a struct member, a local array, an output element):
    // what the value is as a function of the sizes is not followed, so neither is where it changes.
    if (a.memTainted(side))
      return void opaque.push({
        line,
        text: showExpr(whole),
        why: `reads \`${showExpr(side)}\` back from memory the kernel wrote with a value derived from the sizes, so where \`${showExpr(whole)}\` changes is not a threshold on the sizes it can place`,
      });
    const deps = a.sizeDeps(side);
    if (deps.size === 0) return;
    // A size passed through a function the analysis does not model (a helper's return value,
    // popcount): where the result crosses the constant is unknown, so no sizes can be chosen.
    let unmodelled = false;
    walkExpr(side, (x) => {
      if (x.k === 'call' && !(x.fn && (MINMAX.test(x.fn) || MACHINE_CALLS.test(x.fn) || libm(x.fn) || /^__builtin_clz(l|ll)?$/.test(x.fn))) && x.args.some((y) => a.sizeDeps(y).size > 0)) unmodelled = true;
    });
    if (unmodelled && kind === 'cmp') return void opaque.push({ line, text: showExpr(whole) });
    // An unsigned product, sum or shift of sizes that passes its type's top somewhere in the sizes'
    // range wraps: the side is not monotone there (a multiplicative hash of N against a constant).
    const wrapping = wrapsWithin(a, side, ceilings, lowest);
    if (wrapping)
      return void opaque.push({
        line,
        text: showExpr(whole),
        why: `computes \`${showExpr(wrapping)}\` from the sizes in an unsigned type that wraps within their range, so where \`${showExpr(whole)}\` changes is not a threshold on the sizes`,
      });
    const f = a.fn(side);
    // The counters and helpers' parameters the side follows (a count of halvings, a recursion's
    // depth, a size divided before a helper's call): any size drives them, through a function not
    // modelled here, so the constant is not the size at which the side crosses.
    const origins = !f ? a.anySizeOrigins(side) : undefined;
    // A recursion's parameter (its range's length, its depth) against a constant: checked along a
    // sweep of the sizes where a recursion that divides its range crosses it (path-sizes.ts).
    // (A division or shift of one is how the recursion splits its range: its divisor is the sweep's base.)
    if (origins?.size && [...origins.values()].every(Boolean)) {
      const ints = cs.filter((c) => Number.isFinite(c) && c >= 1 && c < 2 ** 31).map(Math.round);
      const splits = kind === 'div' ? ints.filter((c) => c >= 2 && c <= 16) : kind === 'shift' ? ints.filter((c) => c <= 4).map((c) => 2 ** c) : [];
      return void sweeps.push({ line, text: showExpr(whole), constants: kind === 'div' || kind === 'shift' ? [] : ints, bases: splits, symbols: [...deps].sort((x, y) => all.indexOf(x) - all.indexOf(y)) });
    }
    // Any other: no sizes can be chosen for it (fail closed).
    if (origins?.size)
      return void opaque.push({
        line,
        text: showExpr(whole),
        why: `compares \`${showExpr(side)}\`, which follows the sizes through a count or a helper's parameter the analysis does not model, so where \`${showExpr(whole)}\` changes is not a threshold on the sizes it can place`,
      });
    for (const c of cs) {
      if (kind === 'mod' || kind === 'div') periods.add(Math.abs(Math.trunc(c)));
      if (kind === 'shift' && c >= 0 && c < 31) periods.add(2 ** c);
      if (kind === 'mask') for (const v of boundaryValues('mask', c)) if (v >= 2 && (v & (v - 1)) === 0 && v < 2 ** 31) periods.add(v);
      const values = boundaryValues(kind, c).filter((v) => v >= 1);
      if (values.length) paths.push({ kind, constant: c, values, symbols: [...deps].sort((x, y) => all.indexOf(x) - all.indexOf(y)), f, line, text: showExpr(whole) });
    }
  };
  const visit = (e: CExpr) => {
    // A constant table indexed by a size-derived value changes where the index crosses an entry
    // that differs from the one before it (and the end of the list: zeros after it).
    if (e.k === 'index' && e.a.k === 'id') {
      const items = a.constTable(e.a.name);
      if (items && a.sizeDeps(e.i).size > 0) {
        const changes = [...items.flatMap((v, k) => (k > 0 && v !== items[k - 1] ? [k] : [])), items.length];
        add('cmp', changes, e.i, e, 0);
      }
      return;
    }
    let op: string | undefined;
    let l: CExpr | undefined;
    let r: CExpr | undefined;
    let line = 0;
    if (e.k === 'bin') ({ op, l, r, line } = e);
    if (e.k === 'assign' && ['%=', '/=', '&=', '>>='].includes(e.op)) (({ l, r, line } = e), (op = e.op.slice(0, -1)));
    if (e.k === 'call' && e.fn && MINMAX.test(e.fn) && e.args.length === 2) ((op = '<'), ([l, r] = e.args));
    if (!op || !l || !r) return;
    const lv = a.values(l);
    const rv = a.values(r);
    if (lv && rv) return;
    if (CMP.has(op)) {
      if (rv) add('cmp', rv, l, e, line);
      else if (lv) add('cmp', lv, r, e, line);
      else {
        // Both sides vary: constants inside either side still mark boundaries (i + 4096 <= N).
        for (const side of [l, r])
          walkExpr(side, (x) => {
            if (x.k === 'bin' && ['+', '-', '*'].includes(x.op)) {
              const xl = a.values(x.l);
              const xr = a.values(x.r);
              const cs = xr && !xl ? xr : xl && !xr ? xl : undefined;
              if (!cs) return;
              // The constant's own operand may carry no size (a pointer: X + 4096 < X + N): the comparison as a whole does.
              add('cmp', cs, a.sizeDeps(xr ? x.l : x.r).size ? (xr ? x.l : x.r) : { k: 'bin', op: ',', l, r, line }, e, line);
              cs.forEach((c) => Number.isInteger(c) && Math.abs(c) >= 2 && periods.add(Math.abs(c)));
            }
          });
        const ls = a.sizeDeps(l).size > 0;
        const rs = a.sizeDeps(r).size > 0;
        // A size against something neither constant nor derived from the sizes (a value built in a
        // loop, read from memory or a struct, returned by a call): its boundary cannot be chosen.
        if (ls !== rs && !isPointer(a, ls ? r : l)) opaque.push({ line, text: showExpr(e) });
        // A counter against a size: how far it counts is not a static value either.
        const lc = [...valueIds(l)].filter((id) => a.counters.has(id));
        const rc = [...valueIds(r)].filter((id) => a.counters.has(id));
        if (ls && rs && lc.length > 0 !== rc.length > 0) opaque.push({ line, text: showExpr(e) });
      }
      return;
    }
    if (op === '<<' && rv)
      add(
        'cmp',
        rv.filter((k) => k >= 0 && k < 32).flatMap((k) => [2 ** (31 - k), 2 ** (32 - k)]),
        l,
        e,
        line,
      );
    if (op === '%' && rv) add('mod', rv, l, e, line);
    else if (op === '/' && rv) add('div', rv, l, e, line);
    else if (op === '>>' && rv) add('shift', rv, l, e, line);
    else if (op === '&' && (rv || lv)) add('mask', (rv ?? lv)!, rv ? l : r, e, line);
    else if ((op === '%' || op === '/' || op === '>>') && !rv && a.sizeDeps(l).size > 0 && a.sizeDeps(r).size === 0 && !a.isFloat(r)) opaque.push({ line, text: showExpr(e) });
  };
  for (const root of [...prog.exprs, ...prog.cases]) walkExpr(root, visit);
  // A size-derived value narrowed to a small integer type wraps: a mask in disguise.
  const narrow = (type: string) => (/\b(char|int8_t|uint8_t|_Bool|bool)\b/.test(type) ? 0xff : /\b(short|int16_t|uint16_t)\b/.test(type) ? 0xffff : undefined);
  // One narrowed to a 32-bit type that cannot hold every value the sizes give it (`(int)n` of a
  // size_t n) changes where it passes that type's top: a threshold, checked there or refused.
  const cut = (to: string, e: CExpr): number | undefined => {
    const tt = intTypeOf(to);
    const from = exprIntType(e, (n) => a.typeOfName(n));
    if (!tt || tt.bits < 32 || !from || a.sizeDeps(e).size === 0) return undefined;
    if (from.bits < tt.bits || (from.bits === tt.bits && from.unsigned === tt.unsigned)) return undefined;
    const f = a.fn(e);
    const top = typeMax(tt);
    return !f || f({ ...lowest, ...ceilings }) > top ? top : undefined;
  };
  for (const root of prog.exprs)
    walkExpr(root, (x) => {
      const m = x.k === 'cast' && narrow(x.type);
      if (x.k === 'cast' && m) add('mask', [m], x.a, x, 0);
      const c = x.k === 'cast' && !m ? cut(x.type, x.a) : undefined;
      if (x.k === 'cast' && c !== undefined) add('cmp', [c], x.a, x, 0);
    });
  for (const d of prog.decls) {
    const m = narrow(d.type);
    if (m && !d.pointer && !d.array) for (const e of [...(d.init ? [d.init] : []), ...a.writesOf(d.name)]) add('mask', [m], e, e, d.line);
    if (m || d.pointer || d.array) continue;
    for (const e of d.init ? [d.init] : []) {
      const c = cut(d.type, e);
      if (c !== undefined) add('cmp', [c], e, e, d.line);
    }
  }
  for (const step of a.steps()) periods.add(step);
  return {
    paths: paths.map((p) => ({ ...p, text: unscoped(p.text) })),
    opaque: opaque.map((o) => ({ ...o, text: unscoped(o.text) })),
    sweeps: sweeps.map((o) => ({ ...o, text: unscoped(o.text) })),
    periods: [...periods].filter((c) => c >= 2).sort((x, y) => x - y),
  };
}

/**
 * The first unsigned +, * or << of sizes inside `side` whose value passes its type's top for some
 * sizes in their range (each size at its lowest or its ceiling), or undefined.
 */
function wrapsWithin(a: Analysis, side: CExpr, ceilings: Record<string, number>, lowest: Size, depth = 0): CExpr | undefined {
  let found: CExpr | undefined;
  walkExpr(side, (x) => {
    // A name with one definition carries that definition's value (h = (unsigned)N * K; ... h < C).
    const def = x.k === 'id' && depth < 8 ? a.soleDefinition(x.name) : undefined;
    if (!found && def) found = wrapsWithin(a, def, ceilings, lowest, depth + 1);
    if (found || x.k !== 'bin' || !['+', '*', '<<'].includes(x.op) || a.sizeDeps(x).size === 0) return;
    const t = exprIntType(x, (n) => a.typeOfName(n));
    if (!t?.unsigned) return;
    const f = a.fn(x);
    if (!f) return;
    const syms = Object.keys(lowest);
    const corners = [{ ...lowest, ...ceilings }, ...syms.map((s) => ({ ...lowest, [s]: ceilings[s] ?? lowest[s] }))];
    if (corners.some((z) => !(f(z) <= typeMax(t)))) found = x;
  });
  return found;
}

/** Pointer comparisons (p < end, aliasing checks) say nothing about sizes on their own. */
function isPointer(a: Analysis, e: CExpr): boolean {
  const ids = [...valueIds(e)];
  return ids.length > 0 && ids.every((id) => a.isPointerName(id));
}
