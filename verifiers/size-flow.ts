import type { Size, Target } from '../targets/index.js';
import { applyBin, intOf, libm, sizeofType, wrap } from './c-const-eval.js';
import { CUDA_INDEX, exprChildren, FLOAT_TYPE, INTEGER_TYPE, walkExpr, type CDecl, type CExpr, type CProgram } from './c-expr.js';
import { MemoryTaint } from './memory-taint.js';

export const CMP = new Set(['<', '>', '<=', '>=', '==', '!=']);
export const MINMAX = /^(f?(min|max)[fl]?|__builtin_f(min|max)[fl]?)$/;
/** Machine values a kernel may read (thread counts): what they can be, for thresholds built from them. */
export const MACHINE_CALLS = /^omp_get_(num_threads|max_threads|num_procs|thread_num|thread_limit|team_size)$/;
const MACHINE_VALUES = [1, 2, 4, 8, 16, 17, 32, 64];
const MAX_SET = 24;

/** Identifiers whose value the expression carries (not those only used to pick an element). */
export function valueIds(e: CExpr, out = new Set<string>()): Set<string> {
  if (e.k === 'id') out.add(e.name);
  else if (e.k === 'member' && e.a.k === 'id' && CUDA_INDEX.test(e.a.name)) out.add(e.a.name);
  else if (e.k === 'index' || e.k === 'sizeof' || e.k === 'member' || (e.k === 'un' && e.op === '*')) return out;
  else if (e.k === 'call' && e.fn && MACHINE_CALLS.test(e.fn)) out.add(`${e.fn}()`);
  else for (const c of exprChildren(e)) valueIds(c, out);
  return out;
}

/** The analysis over one program: constants, what derives from the sizes, and the paths. */
export class Analysis {
  private readonly decls = new Map<string, CDecl[]>();
  /** Every value written to a name other than its declaration's initializer. */
  private readonly writes = new Map<string, CExpr[]>();
  private readonly constCache = new Map<string, number[] | undefined | 'busy'>();
  /** Size symbols each name's value derives from. */
  readonly deps = new Map<string, Set<string>>();
  /** Variables that only count (self plus or times a constant) outside any loop condition. */
  readonly counters = new Set<string>();

  constructor(
    private readonly t: Target,
    private readonly prog: CProgram,
  ) {
    for (const d of prog.decls) this.decls.set(d.name, [...(this.decls.get(d.name) ?? []), d]);
    const write = (name: string, e: CExpr) => this.writes.set(name, [...(this.writes.get(name) ?? []), e]);
    for (const root of [...prog.exprs, ...prog.cases])
      walkExpr(root, (e) => {
        if (e.k === 'assign') {
          const base = lvalueName(e.l);
          if (base) write(base, e.op === '=' ? e.r : { k: 'bin', op: e.op.slice(0, -1), l: e.l, r: e.r, line: e.line });
        }
        if ((e.k === 'un' && (e.op === '++' || e.op === '--' || e.op === '&')) || (e.k === 'post' && (e.op === '++' || e.op === '--'))) {
          const base = lvalueName(e.a);
          if (base) write(base, e.k === 'un' && e.op === '&' ? { k: 'other' } : { k: 'bin', op: '+', l: e.a, r: { k: 'num', v: 1, float: false }, line: 0 });
        }
      });
    this.computeDeps();
    this.memory = new MemoryTaint(
      t,
      prog,
      this.decls,
      (e) => this.sizeDeps(e),
      (n) => this.definitions(n),
      (n) => this.writesOf(n),
    );
  }

  private readonly memory: MemoryTaint;
  /** Counters and helpers' integer parameters: any size may drive them, through a function the analysis does not model. */
  private readonly anySize = new Set<string>();
  /** Integer parameters of recursive functions (a sub-range's length, a depth). */
  private readonly recursionParams = new Set<string>();

  /** Does the expression's value come, in part, from memory the kernel wrote with a size-derived value (memory-taint.ts)? */
  memTainted(e: CExpr): boolean {
    return this.memory.reads(e);
  }

  /**
   * The counters and helpers' integer parameters the expression's value derives from, through its
   * variables' definitions (a size through a function the analysis does not model: a count of
   * halvings, a recursion's depth, a size divided before the call), each with whether it is a
   * parameter of a recursive function.
   */
  anySizeOrigins(e: CExpr, seen = new Set<string>(), out = new Map<string, boolean>()): Map<string, boolean> {
    for (const id of valueIds(e)) {
      if (this.anySize.has(id)) out.set(id, this.recursionParams.has(id));
      if (seen.has(id) || this.isSize(id)) continue;
      seen.add(id);
      for (const d of this.definitions(id)) this.anySizeOrigins(d, seen, out);
    }
    return out;
  }

  private isSize(name: string): boolean {
    return this.t.sizeSymbols.includes(name) && !this.decls.get(name)?.some((d) => d.init !== undefined || d.pointer);
  }

  private kindOf(name: string): 'int' | 'float' | 'other' {
    const ds = this.decls.get(name);
    if (!ds) return this.t.sizeSymbols.includes(name) ? 'int' : 'other';
    if (ds.some((d) => d.pointer)) return 'other';
    if (ds.some((d) => INTEGER_TYPE.test(d.type) && !FLOAT_TYPE.test(d.type))) return 'int';
    if (ds.some((d) => FLOAT_TYPE.test(d.type))) return 'float';
    return 'other';
  }

  /** All values a constant expression can have (enumerators, constant locals and tables), or undefined. */
  values(e: CExpr, floatCtx = false): number[] | undefined {
    switch (e.k) {
      case 'num':
        return [e.v];
      case 'id':
        return e.name === 'warpSize' && !this.decls.has('warpSize') ? [32] : this.constValues(e.name);
      case 'sizeof':
        return e.type !== undefined ? wrap(sizeofType(e.type, this.t.real)) : e.a?.k === 'id' ? wrap(this.sizeofName(e.a.name)) : undefined;
      case 'cast': {
        const v = this.values(e.a, floatCtx);
        if (!v) return undefined;
        if (FLOAT_TYPE.test(e.type)) return v.map((x) => (/\b(float)\b/.test(e.type) || (e.type === 'real' && this.t.real === 'float') ? Math.fround(x) : x));
        return v.map((x) => intOf(e.type, x));
      }
      case 'un': {
        const v = this.values(e.a, floatCtx);
        if (!v) return undefined;
        if (e.op === '-') return v.map((x) => -x);
        if (e.op === '+') return v;
        if (e.op === '~') return v.map((x) => ~x);
        if (e.op === '!') return v.map((x) => +!x);
        return undefined;
      }
      case 'bin': {
        if (e.op === '&&' || e.op === '||') return undefined;
        const l = this.values(e.l, floatCtx);
        const r = l && this.values(e.r, floatCtx);
        if (!l || !r || l.length * r.length > MAX_SET * 4) return undefined;
        const float = floatCtx || this.isFloat(e.l) || this.isFloat(e.r);
        const out = new Set<number>();
        for (const a of l)
          for (const b of r) {
            const v = applyBin(e.op, a, b, float);
            if (v === undefined || !Number.isFinite(v)) return undefined;
            out.add(v);
          }
        return out.size <= MAX_SET ? [...out] : undefined;
      }
      case 'cond': {
        const t = this.values(e.t, floatCtx);
        const f = t && this.values(e.f, floatCtx);
        return t && f ? [...new Set([...t, ...f])] : undefined;
      }
      case 'index': {
        // A value read from a constant table: any of its entries.
        if (e.a.k !== 'id') return undefined;
        const ds = this.decls.get(e.a.name);
        if (!ds || this.writes.has(e.a.name) || !ds.every((d) => d.array && d.init?.k === 'init')) return undefined;
        const out = new Set<number>();
        const add = (x: CExpr): boolean => {
          if (x.k === 'init') return x.items.every(add);
          const v = this.values(x);
          v?.forEach((y) => out.add(y));
          return !!v;
        };
        return ds.every((d) => add(d.init!)) && out.size <= MAX_SET ? [...out] : undefined;
      }
      case 'call': {
        if (e.fn && MACHINE_CALLS.test(e.fn)) return MACHINE_VALUES;
        // libm of constants is a constant
        const g = e.fn ? libm(e.fn) : undefined;
        const args = g && e.args.map((x) => this.values(x, true));
        if (!g || !args || args.some((v) => !v || v.length !== 1)) return undefined;
        const v = g(...args.map((x) => x![0]));
        return Number.isFinite(v) ? [v] : undefined;
      }
      default:
        return undefined;
    }
  }

  private sizeofName(name: string): number | undefined {
    const ds = this.decls.get(name);
    if (!ds || ds.length !== 1) return undefined;
    const d = ds[0];
    if (!d.array) return d.pointer ? 8 : sizeofType(d.type, this.t.real);
    // sizeof an array: its element size times its constant extents
    let n = d.pointer ? 8 : sizeofType(d.type, this.t.real);
    for (const dim of d.dims ?? []) {
      const v = this.values(dim);
      if (n === undefined || !v || v.length !== 1) return undefined;
      n *= v[0];
    }
    return n;
  }

  isFloat(e: CExpr): boolean {
    if (e.k === 'num') return e.float;
    if (e.k === 'id') return this.kindOf(e.name) === 'float';
    if (e.k === 'cast') return FLOAT_TYPE.test(e.type);
    if (e.k === 'call') return !!e.fn && /^(sqrt|exp|log|pow|sin|cos|tan|fabs|floor|ceil|round|trunc|fmod|fmin|fmax|fma|erf|tanh|cbrt|hypot)[fl]?$/.test(e.fn);
    if (e.k === 'index' || (e.k === 'un' && e.op === '*')) return true;
    return exprChildren(e).some((c) => this.isFloat(c));
  }

  private constValues(name: string): number[] | undefined {
    const cached = this.constCache.get(name);
    if (cached === 'busy') return undefined;
    if (this.constCache.has(name)) return cached as number[] | undefined;
    this.constCache.set(name, 'busy');
    let out: number[] | undefined;
    const en = this.prog.enums.get(name);
    if (en) out = this.values(en);
    else if (this.decls.get(name)?.every((d) => d.loopCond)) out = this.loopRange(name);
    else {
      const ds = this.decls.get(name);
      if (ds && !this.writes.has(name) && ds.every((d) => d.init && !d.pointer && !d.array && !d.loopCond)) {
        const set = new Set<number>();
        out = [];
        for (const d of ds) {
          const v = this.values(d.init!);
          if (!v) {
            out = undefined;
            break;
          }
          v.map((x) => (INTEGER_TYPE.test(d.type) && !FLOAT_TYPE.test(d.type) ? intOf(d.type, x) : x)).forEach((x) => set.add(x));
        }
        if (out) out = [...set];
      }
    }
    this.constCache.set(name, out);
    return out;
  }

  /** for (v = c0; v < c1; v += k) with constants: the values v takes (small ranges only). */
  private loopRange(name: string): number[] | undefined {
    const out = new Set<number>();
    for (const w of this.writes.get(name) ?? []) {
      const step = w.k === 'bin' && (w.op === '+' || w.op === '-') && w.l.k === 'id' && w.l.name === name ? this.values(w.r) : undefined;
      if (!step || step.length !== 1 || step[0] <= 0 || w.k !== 'bin' || w.op !== '+') return undefined;
    }
    for (const d of this.decls.get(name)!) {
      const c = d.loopCond;
      const lo = d.init && this.values(d.init);
      if (!lo || lo.length !== 1 || !c || c.k !== 'bin' || c.l.k !== 'id' || c.l.name !== name || !(c.op === '<' || c.op === '<=')) return undefined;
      const hi = this.values(c.r);
      if (!hi || hi.length !== 1) return undefined;
      const top = c.op === '<' ? hi[0] - 1 : hi[0];
      if (top - lo[0] > MAX_SET) return undefined;
      for (let v = lo[0]; v <= top; v++) out.add(v);
    }
    return [...out];
  }

  /**
   * The sizes a helper's parameter is given when every call of every helper with a parameter of
   * that name passes a bare size symbol there (`wide(M)`, `wide(N)`); undefined otherwise (a
   * computed argument, a recursive call, or no call seen).
   */
  private bareSizeArgument(param: string): string[] | undefined {
    const sizes = new Set<string>();
    for (const [fn, ps] of this.prog.functions) {
      const k = ps.indexOf(param);
      if (k < 0 || fn === this.t.fn) continue;
      let calls = 0;
      let bare = true;
      for (const root of this.prog.exprs)
        walkExpr(root, (e) => {
          if (e.k !== 'call' || e.fn !== fn) return;
          calls++;
          let arg = e.args[k];
          while (arg?.k === 'cast') arg = arg.a;
          if (arg?.k === 'id' && this.isSize(arg.name)) sizes.add(arg.name);
          else bare = false;
        });
      if (!calls || !bare) return undefined;
    }
    return sizes.size ? [...sizes] : undefined;
  }

  /** Definitions of a name: initializers, writes, and its loop's bound. */
  private definitions(name: string): CExpr[] {
    const out: CExpr[] = [];
    for (const d of this.decls.get(name) ?? []) {
      if (d.init) out.push(d.init);
      if (d.loopCond) out.push(d.loopCond);
    }
    return [...out, ...(this.writes.get(name) ?? [])];
  }

  private computeDeps(): void {
    const names = new Set([...this.decls.keys(), ...this.writes.keys(), ...this.t.sizeSymbols]);
    // Loop conditions bound the variables they compare (for (i = 0; i < N; ...)): i derives from N.
    const bounds = new Map<string, CExpr[]>();
    for (const e of this.prog.loopConds)
      walkExpr(e, (x) => {
        if (x.k === 'bin' && CMP.has(x.op))
          for (const [a, b] of [
            [x.l, x.r],
            [x.r, x.l],
          ])
            for (const id of valueIds(a)) if (this.writes.has(id)) bounds.set(id, [...(bounds.get(id) ?? []), b]);
      });
    for (const n of names) this.deps.set(n, this.isSize(n) ? new Set([n]) : new Set());
    for (const n of ['threadIdx', 'blockIdx', 'blockDim', 'gridDim']) (names.add(n), this.deps.set(n, new Set(this.t.sizeSymbols)));
    // A counter (k++, f += 1.0f, lim *= 2 outside any loop condition) counts how often its loop ran:
    // any size may drive it.
    const inConds = new Set<string>();
    for (const c of this.prog.loopConds) valueIds(c, inConds);
    for (const [n, ws] of this.writes)
      if (!inConds.has(n) && !this.isPointerName(n) && this.kindOf(n) !== 'other' && !this.constValues(n) && ws.every((w) => w.k === 'bin' && ['+', '-', '*', '<<'].includes(w.op) && w.l.k === 'id' && w.l.name === n && this.values(w.r)))
        (this.counters.add(n), this.anySize.add(n), this.deps.set(n, new Set(this.t.sizeSymbols)));
    // Integer parameters of helper functions may carry any size.
    for (const [n, ds] of this.decls)
      if (ds.some((d) => !d.init && !d.pointer && !d.array && this.kindOf(n) === 'int' && !this.t.sizeSymbols.includes(n) && !this.writes.has(n) && !this.prog.enums.has(n))) {
        // One every call gives a bare size (`wide(M)`) is that size; any other may be any function of them.
        const bare = this.bareSizeArgument(n);
        if (!bare) this.anySize.add(n);
        // (only a name no other function or declaration shares: a decoy recursion must not lend its name to another helper's parameter)
        const owners = [...this.prog.functions].filter(([, ps]) => ps.includes(n)).map(([f]) => f);
        if (!bare && owners.length === 1 && this.prog.recursive.has(owners[0]) && ds.length === 1) this.recursionParams.add(n);
        this.deps.set(n, new Set(bare ?? this.t.sizeSymbols));
      }
    for (let changed = true; changed;) {
      changed = false;
      for (const n of names) {
        const mine = this.deps.get(n)!;
        const before = mine.size;
        for (const e of [...this.definitions(n), ...(bounds.get(n) ?? [])]) for (const id of valueIds(e)) for (const s of this.deps.get(id) ?? []) mine.add(s);
        if (mine.size !== before) changed = true;
      }
    }
  }

  writesOf(name: string): CExpr[] {
    return this.writes.get(name) ?? [];
  }

  /** Constant steps of size-derived variables (i += 8, i = i + 8): periods of their loops. */
  steps(): number[] {
    const out: number[] = [];
    for (const [name, ws] of this.writes) {
      if ((this.deps.get(name)?.size ?? 0) === 0) continue;
      for (const w of ws)
        if (w.k === 'bin' && (w.op === '+' || w.op === '-') && w.l.k === 'id' && w.l.name === name) {
          const c = this.values(w.r);
          if (c) out.push(...c.filter((v) => Number.isInteger(v)).map(Math.abs));
        }
    }
    return out;
  }

  /**
   * A one-dimensional constant table's entries in order (`static const int T[32] = {0, 1, …}`),
   * if every one is a constant; undefined otherwise. Entries past the list are zero.
   */
  constTable(name: string): number[] | undefined {
    const ds = this.decls.get(name);
    if (!ds || ds.length !== 1 || this.writes.has(name) || !ds[0].array || ds[0].init?.k !== 'init') return undefined;
    const out: number[] = [];
    for (const x of ds[0].init.items) {
      const v = x.k === 'init' ? undefined : this.values(x);
      if (!v || v.length !== 1) return undefined;
      out.push(v[0]);
    }
    return out;
  }

  /** Size symbols an expression's value depends on. */
  sizeDeps(e: CExpr): Set<string> {
    const out = new Set<string>();
    for (const id of valueIds(e)) for (const s of this.deps.get(id) ?? []) out.add(s);
    return out;
  }

  /** The one value a name is given (its declaration's initializer, never written after), or undefined. */
  soleDefinition(name: string): CExpr | undefined {
    const ds = this.decls.get(name);
    return ds?.length === 1 && ds[0].init && !ds[0].loopCond && !this.writes.has(name) ? ds[0].init : undefined;
  }

  /** A name's declared type (a variable, or a size parameter's C type). */
  typeOfName(name: string): string | undefined {
    const ds = this.decls.get(name);
    if (ds?.length === 1) return ds[0].pointer || ds[0].array ? undefined : ds[0].type;
    if (ds?.length) return undefined;
    const p = this.t.params.find((q) => q.kind === 'size' && q.name === name);
    return p?.kind === 'size' ? p.int.ctype : undefined;
  }

  isPointerName(name: string): boolean {
    return !!this.decls.get(name)?.some((d) => d.pointer || d.array);
  }

  /** Does the expression involve a variable that is neither constant nor derived from the sizes? */
  opaqueIds(e: CExpr): string[] {
    return [...valueIds(e)].filter((id) => !id.endsWith('()') && this.kindOf(id) !== 'other' && !this.constValues(id) && (this.deps.get(id)?.size ?? 0) === 0 && !this.t.sizeSymbols.includes(id));
  }

  /** The expression as a function of the sizes: loop variables at their largest value. */
  fn(e: CExpr, depth = 0): ((z: Size) => number) | undefined {
    if (depth > 12) return undefined;
    const c = this.values(e);
    if (c && c.length === 1) return () => c[0];
    switch (e.k) {
      case 'id': {
        if (this.isSize(e.name)) return (z) => z[e.name];
        const ds = this.decls.get(e.name);
        if (!ds?.length) return undefined;
        const w = this.writes.get(e.name) ?? [];
        if (ds.length === 1 && ds[0].init && w.length === 0 && !ds[0].loopCond) return this.fn(ds[0].init, depth + 1);
        // for (v = lo; v < E; v++): v reaches E - 1 (the largest over every loop that declares v)
        const tops: ((z: Size) => number)[] = [];
        for (const d of ds) {
          if (!d.loopCond || d.loopCond.k !== 'bin') return undefined;
          const { op, l, r } = d.loopCond;
          const bound = l.k === 'id' && l.name === e.name ? { op, E: r } : r.k === 'id' && r.name === e.name ? { op: flip(op), E: l } : undefined;
          if (!bound || !(bound.op === '<' || bound.op === '<=')) return undefined;
          const E = this.fn(bound.E, depth + 1);
          if (!E) return undefined;
          tops.push((z) => E(z) - (bound.op === '<' ? 1 : 0));
        }
        return (z) => Math.max(...tops.map((f) => f(z)));
      }
      case 'cast': {
        const a = this.fn(e.a, depth + 1);
        if (!a) return undefined;
        return FLOAT_TYPE.test(e.type) ? a : (z) => intOf(e.type, a(z));
      }
      case 'call': {
        const clz = e.fn && /^__builtin_clz(l|ll)?$/.exec(e.fn);
        if (clz && e.args.length === 1) {
          const a = this.fn(e.args[0], depth + 1);
          const bits = clz[1] ? 63 : 31;
          return a && ((z) => (a(z) > 0 ? bits - Math.floor(Math.log2(a(z))) : bits + 1));
        }
        // Monotone functions of libm: the side still crosses its constant somewhere.
        const m = e.fn && /^(?:__builtin_)?(sqrt|cbrt|log|log2|log10|log1p|exp|exp2|expm1|floor|ceil|round|trunc|rint|nearbyint|fabs|abs|labs)[fl]?$/.exec(e.fn);
        const a = m && e.args.length === 1 ? this.fn(e.args[0], depth + 1) : undefined;
        if (!m || !a) return undefined;
        const op = { abs: 'abs', labs: 'abs', fabs: 'abs', rint: 'round', nearbyint: 'round' }[m[1]] ?? m[1];
        const g = (Math as unknown as Record<string, (x: number) => number>)[op];
        return typeof g === 'function' ? (z) => g(a(z)) : undefined;
      }
      case 'un': {
        const a = this.fn(e.a, depth + 1);
        if (!a) return undefined;
        if (e.op === '-') return (z) => -a(z);
        if (e.op === '+') return a;
        return undefined;
      }
      case 'bin': {
        const l = this.fn(e.l, depth + 1);
        const r = l && this.fn(e.r, depth + 1);
        if (!l || !r || !['+', '-', '*', '/', '%', '<<', '>>', '&'].includes(e.op)) return undefined;
        const float = this.isFloat(e.l) || this.isFloat(e.r);
        return (z) => applyBin(e.op, l(z), r(z), float) ?? NaN;
      }
      default:
        return undefined;
    }
  }
}

function flip(op: string): string {
  return ({ '<': '>', '>': '<', '<=': '>=', '>=': '<=' } as Record<string, string>)[op] ?? op;
}

function lvalueName(e: CExpr): string | undefined {
  if (e.k === 'id') return e.name;
  return undefined;
}
