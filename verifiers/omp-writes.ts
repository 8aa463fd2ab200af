import { forEachExpr, forEachStmt, printExpr, type Access, type Expr, type Func, type Stmt } from '../csyntax/index.js';

/**
 * Where a pointer variable points, as far as the race analysis can tell: into a named array at an
 * offset (a parameter, or storage the function allocated before the OpenMP construct), at storage
 * of its own made inside the construct (`private`: a local array, an allocation), or nowhere it can
 * name (`unknown`: assigned more than once, or from an expression it does not follow).
 */
type PointsTo = { array: string; offset: Expr } | 'private' | 'unknown';

/** Calls that write through their first argument and read through their second. */
const COPIES = new Set(['memcpy', 'memmove', '__builtin_memcpy', '__builtin_memmove']);
const FILLS = new Set(['memset', '__builtin_memset']);
/** Calls that return fresh storage. */
const ALLOCATIONS = new Set(['malloc', 'calloc', 'aligned_alloc', 'alloca', '__builtin_alloca', 'realloc']);
/** Calls that take no pointer into the kernel's data, or only read it. */
const FREES = new Set(['free']);

const ZERO: Expr = { k: 'num', text: '0' };
const plus = (a: Expr, b: Expr): Expr => (a.k === 'num' && a.text === '0' ? b : b.k === 'num' && b.text === '0' ? a : { k: 'bin', op: '+', l: a, r: b });
const strip = (e: Expr): Expr => (e.k === 'cast' ? strip(e.arg) : e);

/** The accesses an OpenMP construct makes, with pointers followed to the arrays they reach. */
export interface ScopeAccesses {
  /** Accesses to memory shared by the construct's threads (parameters, storage made before it), by array and index. */
  accesses: Access[];
  /** A write (or read) the analysis cannot place: the construct cannot be judged. */
  unjudged?: string;
}

/**
 * Pointer variables of the function and where each points (see PointsTo), for a construct `scope`:
 * a pointer declared inside it to storage made inside it is private; one declared before it
 * (storage allocated before the construct is shared by its threads) is its own array.
 */
function pointsTo(fn: Func, scope: Stmt, bound?: Map<string, PointsTo>): Map<string, PointsTo> {
  const inScope = new Set<Stmt>();
  forEachStmt(scope, (s) => inScope.add(s));
  const params = new Set(fn.params.filter((p) => p.ptr.includes('*') && !bound?.has(p.name)).map((p) => p.name));
  const map = new Map<string, PointsTo>(bound);
  // assigned after its declaration (p = q, p += k, p++): not followed
  const reassigned = new Set<string>();
  forEachExpr(fn.body, (e) => {
    if (e.k === 'assign' && strip(e.l).k === 'id') reassigned.add((strip(e.l) as { name: string }).name);
    if ((e.k === 'post' || e.k === 'un') && (e.op === '++' || e.op === '--') && strip(e.arg).k === 'id') reassigned.add((strip(e.arg) as { name: string }).name);
  });
  const resolve = (e: Expr, inside: boolean): PointsTo | 'allocated' => {
    e = strip(e);
    if (e.k === 'id') {
      if (params.has(e.name)) return { array: e.name, offset: ZERO };
      const known = map.get(e.name);
      return known ?? 'unknown';
    }
    if (e.k === 'call' && e.fn.k === 'id' && ALLOCATIONS.has(e.fn.name)) return inside ? 'private' : 'allocated';
    if (e.k === 'un' && e.op === '&') {
      const a = strip(e.arg);
      if (a.k === 'index') {
        const base = resolve(a.arr, inside);
        return typeof base === 'string' ? base : { array: base.array, offset: plus(base.offset, a.idx) };
      }
      return 'unknown';
    }
    if (e.k === 'bin' && (e.op === '+' || e.op === '-')) {
      const l = resolve(e.l, inside);
      if (l !== 'unknown') return l === 'allocated' ? 'unknown' : moved(l, e, true);
      const r = e.op === '+' ? resolve(e.r, inside) : 'unknown';
      return r === 'allocated' ? 'unknown' : moved(r, e, false);
    }
    return 'unknown';
  };
  const set = (name: string, to: PointsTo) => {
    const had = map.get(name);
    // one name declared twice (in two loops) pointing at different places: not followed
    map.set(name, had === undefined || same(had, to) ? to : 'unknown');
  };
  forEachStmt(fn.body, (s) => {
    if (s.k !== 'decl') return;
    const inside = inScope.has(s);
    for (const d of s.decls) {
      if (d.dims.length) set(d.name, inside ? 'private' : { array: d.name, offset: ZERO });
      else if (d.ptr.includes('*') && !reassigned.has(d.name)) {
        const to = d.init ? resolve(d.init, inside) : 'unknown';
        // storage allocated before the construct: an array of its own, shared by the construct's threads
        set(d.name, to === 'allocated' ? { array: d.name, offset: ZERO } : to);
      } else if (d.ptr.includes('*')) set(d.name, 'unknown');
    }
  });
  return map;
}

/** A pointer moved by `p + k`, `p - k` (the pointer on the left) or `k + p`: the same array at the moved offset; private and unknown stay so. */
function moved(base: PointsTo, e: Extract<Expr, { k: 'bin' }>, left: boolean): PointsTo {
  if (typeof base === 'string') return base;
  const k = left ? e.r : e.l;
  return { array: base.array, offset: e.op === '+' ? plus(base.offset, k) : { k: 'bin', op: '-', l: base.offset, r: k } };
}

const same = (a: PointsTo, b: PointsTo) => (typeof a === 'string' || typeof b === 'string' ? a === b : a.array === b.array && printExpr(a.offset) === printExpr(b.offset));

/**
 * Every memory access inside an OpenMP construct (`body`, its statements; `scope`, the construct
 * itself, which decides what is private): array elements, writes and reads through pointers
 * (`*p`, `p[k]`, `p` declared as `A + off` or `&A[off]`: an access to A at off + k) and through the
 * copy and fill calls (memcpy's destination is written, its source read, at the element their
 * address names). Private storage (local arrays and allocations made inside the construct) is left
 * out. A write or read the analysis cannot place (a pointer it cannot follow, a call given a pointer
 * into shared data, a member of a shared struct, code it could not parse) makes the construct
 * unjudged: its iterations cannot be shown free of races.
 */
export function scopeAccesses(fn: Func, scope: Stmt, body: Stmt, helpers: ReadonlyMap<string, Func> = new Map()): ScopeAccesses {
  return scan(fn, scope, body, helpers, undefined, 0);
}

/** Calls into the file's own functions followed this deep, at most. */
const MAX_CALL_DEPTH = 4;

function scan(fn: Func, scope: Stmt, body: Stmt, helpers: ReadonlyMap<string, Func>, bound: Map<string, PointsTo> | undefined, depth: number): ScopeAccesses {
  const ptrs = pointsTo(fn, scope, bound);
  const declaredInside = new Set<string>();
  forEachStmt(scope, (s) => {
    if (s.k === 'decl') for (const d of s.decls) declaredInside.add(d.name);
  });
  // a called function's own scalars are its own (each call has its own)
  if (bound) for (const p of fn.params) if (!p.ptr.includes('*')) declaredInside.add(p.name);
  const accesses: Access[] = [];
  let unjudged: string | undefined;
  const fail = (why: string) => (unjudged ??= why);
  /** The array and index an lvalue-like expression names (`A[i]`, `p[k]`, `*p`, `*(p + k)`), 'private', or undefined. */
  const place = (e: Expr): { array: string; idx: Expr } | 'private' | undefined => {
    e = strip(e);
    if (e.k === 'index') {
      const base = strip(e.arr);
      if (base.k !== 'id') return undefined;
      const to = ptrs.get(base.name);
      if (to === undefined) return declaredInside.has(base.name) ? 'private' : { array: base.name, idx: e.idx };
      if (to === 'private') return 'private';
      if (to === 'unknown') return undefined;
      return { array: to.array, idx: plus(to.offset, e.idx) };
    }
    if (e.k === 'un' && e.op === '*') {
      const a = strip(e.arg);
      if (a.k === 'id') return place({ k: 'index', arr: a, idx: ZERO });
      if (a.k === 'bin' && a.op === '+') {
        if (strip(a.l).k === 'id' && ptrs.has((strip(a.l) as { name: string }).name)) return place({ k: 'index', arr: strip(a.l), idx: a.r });
        if (strip(a.r).k === 'id' && ptrs.has((strip(a.r) as { name: string }).name)) return place({ k: 'index', arr: strip(a.r), idx: a.l });
      }
      return undefined;
    }
    return undefined;
  };
  /** An address given to a call (`&A[i]`, `A + i`, `p`, `&x`): where it points, 'private', 'value' (not an address of shared data), or undefined. */
  const addressed = (e: Expr): { array: string; idx: Expr } | 'private' | 'value' | undefined => {
    e = strip(e);
    if (e.k === 'un' && e.op === '&') {
      const a = strip(e.arg);
      if (a.k === 'id') return declaredInside.has(a.name) ? 'private' : undefined;
      return place(a);
    }
    if (e.k === 'id' || (e.k === 'bin' && (e.op === '+' || e.op === '-'))) {
      const to = pointerOf(e);
      if (to === 'not-a-pointer') return 'value';
      if (to === 'private') return 'private';
      if (to === 'unknown') return undefined;
      return { array: to.array, idx: to.offset };
    }
    return 'value';
  };
  const pointerOf = (e: Expr): PointsTo | 'not-a-pointer' => {
    e = strip(e);
    if (e.k === 'id') {
      const to = ptrs.get(e.name);
      if (to !== undefined) return to;
      return fn.params.some((p) => p.name === e.name && p.ptr.includes('*')) ? { array: e.name, offset: ZERO } : 'not-a-pointer';
    }
    if (e.k === 'bin' && (e.op === '+' || e.op === '-')) {
      const l = pointerOf(e.l);
      if (l !== 'not-a-pointer') return moved(l, e, true);
      const r = e.op === '+' ? pointerOf(e.r) : 'not-a-pointer';
      return r === 'not-a-pointer' ? r : moved(r, e, false);
    }
    return 'not-a-pointer';
  };
  const note = (e: Expr, write: boolean): void => {
    const at = place(e);
    if (at === 'private') return;
    if (!at) return void fail(`${write ? 'writes' : 'reads'} ${printExpr(e)}, memory the race analysis cannot place`);
    accesses.push({ array: at.array, idx: at.idx, write });
  };
  const visit = (e: Expr, write: boolean): void => {
    switch (e.k) {
      case 'index':
        note(e, write);
        visitIndexParts(e);
        return;
      case 'un':
        if (e.op === '*') {
          note(e, write);
          addressedIndexReads(e.arg);
          return;
        }
        if (e.op === '++' || e.op === '--') visit(e.arg, true);
        if (e.op === '&') return visitAddress(e.arg);
        visit(e.arg, false);
        return;
      case 'post':
        visit(e.arg, true);
        visit(e.arg, false);
        return;
      case 'assign':
        visit(e.l, true);
        if (e.op !== '=') visit(e.l, false);
        visit(e.r, false);
        return;
      case 'bin':
      case 'comma':
        visit(e.l, false);
        visit(e.r, false);
        return;
      case 'cond':
        [e.c, e.t, e.f].forEach((x) => visit(x, false));
        return;
      case 'cast':
        visit(e.arg, write);
        return;
      case 'member': {
        const obj = strip(e.obj);
        if (write && !(obj.k === 'id' && declaredInside.has(obj.name))) fail(`writes ${printExpr(e)}, a member of memory the race analysis cannot place`);
        if (!write && e.arrow) fail(`reads ${printExpr(e)} through a pointer the race analysis cannot place`);
        return;
      }
      case 'init':
        e.items.forEach((x) => visit(x, false));
        return;
      case 'call':
        return visitCall(e);
      default:
        return;
    }
  };
  const visitIndexParts = (e: Extract<Expr, { k: 'index' }>) => {
    visit(e.idx, false);
    if (strip(e.arr).k !== 'id') visit(e.arr, false);
  };
  // &A[i] reads nothing by itself; its index may
  const visitAddress = (a: Expr) => {
    const x = strip(a);
    if (x.k === 'index') visitIndexParts(x);
  };
  const visitCall = (e: Extract<Expr, { k: 'call' }>) => {
    const name = e.fn.k === 'id' ? e.fn.name : '';
    const args = e.args;
    if (COPIES.has(name) || FILLS.has(name)) {
      const dst = addressed(args[0] ?? ZERO);
      if (dst === undefined || dst === 'value') fail(`${name}() writes through ${printExpr(args[0] ?? ZERO)}, which the race analysis cannot place`);
      else if (dst !== 'private') accesses.push({ array: dst.array, idx: dst.idx, write: true });
      if (COPIES.has(name)) {
        const src = addressed(args[1] ?? ZERO);
        if (src === undefined || src === 'value') fail(`${name}() reads through ${printExpr(args[1] ?? ZERO)}, which the race analysis cannot place`);
        else if (src !== 'private') accesses.push({ array: src.array, idx: src.idx, write: false });
      }
      args.forEach((x) => addressedIndexReads(x));
      return;
    }
    if (ALLOCATIONS.has(name) || FREES.has(name)) {
      args.slice(FREES.has(name) ? 1 : 0).forEach((x) => visit(x, false));
      return;
    }
    // a function of the file: followed into, its pointer parameters bound to where the arguments point
    const callee = helpers.get(name);
    if (callee && callee !== fn && depth < MAX_CALL_DEPTH && callee.params.length === args.length) {
      const binding = new Map<string, PointsTo>();
      callee.params.forEach((p, i) => {
        if (!p.ptr.includes('*')) return;
        const a = addressed(args[i]);
        binding.set(p.name, a === 'private' ? 'private' : a === undefined || a === 'value' ? 'unknown' : { array: a.array, offset: a.idx });
      });
      args.forEach((x) => (addressed(x) === 'value' ? visit(x, false) : addressedIndexReads(x)));
      const inner = scan(callee, callee.body, callee.body, helpers, binding, depth + 1);
      if (inner.unjudged) fail(`calls ${name}(), which ${inner.unjudged}`);
      accesses.push(...inner.accesses);
      return;
    }
    // any other call: its arguments are values; a pointer into shared data may be written through
    for (const x of args) {
      const a = addressed(x);
      if (a !== 'value' && a !== 'private') fail(`passes ${printExpr(x)} to ${name || 'a function'}(), which may write through it`);
      if (a === 'value') visit(x, false);
      else addressedIndexReads(x);
    }
  };
  const addressedIndexReads = (x: Expr) => {
    const s = strip(x);
    if (s.k === 'un' && s.op === '&') visitAddress(s.arg);
    else if (s.k === 'bin') visit(s, false);
  };
  const visitStmt = (s: Stmt): void => {
    switch (s.k) {
      case 'block':
        s.body.forEach(visitStmt);
        return;
      case 'decl':
        for (const d of s.decls) {
          d.dims.forEach((x) => visit(x, false));
          // a pointer's initialiser names an address, not a read
          if (d.init) d.ptr.includes('*') && !d.dims.length ? addressedIndexReads(d.init) : visit(d.init, false);
        }
        return;
      case 'expr':
        return visit(s.e, false);
      case 'for':
        if (s.init) visitStmt(s.init);
        if (s.cond) visit(s.cond, false);
        if (s.step) visit(s.step, false);
        return visitStmt(s.body);
      case 'while':
      case 'do':
        visit(s.cond, false);
        return visitStmt(s.body);
      case 'if':
        visit(s.cond, false);
        visitStmt(s.then);
        if (s.else) visitStmt(s.else);
        return;
      case 'return':
        if (s.e) visit(s.e, false);
        return;
      case 'raw':
        fail(`holds code the race analysis could not parse (${s.text.slice(0, 40)})`);
        return;
      default:
        return;
    }
  };
  visitStmt(body);
  return { accesses, unjudged };
}
