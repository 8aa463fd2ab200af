import { evalExpr, type Size, type Target } from '../targets/index.js';
import { exprChildren, FLOAT_TYPE, INTEGER_TYPE, readProgram, showExpr, walkExpr, type CDecl, type CExpr, type CProgram } from './c-expr.js';
import { scopeLoopVariables, unscoped } from './loop-scopes.js';
import { exprIntType, intTypeOf, sizeCeilings, typeMax } from './c-int-types.js';

/**
 * Size-dependent paths of a candidate, found in the C the compiler builds (after its own
 * preprocessing, so macros, enums, hex, octal, shifts, sizeof and casts are all values): every
 * comparison, modulus, mask, shift or division that involves a size (or a value derived from one)
 * against a constant. Each yields the values on both sides of its threshold; `pathSizes` turns
 * them into sizes to check, chosen jointly across dimensions.
 */
export interface SizePath {
  /** What kind of boundary: `cmp` (a threshold), `mod`/`div` (residues), `mask`, `shift`. */
  kind: 'cmp' | 'mod' | 'div' | 'mask' | 'shift';
  /** The constant, as the compiler sees it. */
  constant: number;
  /** Values of the size-derived side at which behaviour may change. */
  values: number[];
  /** Size symbols the size-derived side depends on (all of them when unknown). */
  symbols: string[];
  /** The size-derived side as a function of the sizes, where it can be written as one. */
  f?: (z: Size) => number;
  line: number;
  text: string;
}

export interface SizeAnalysis {
  paths: SizePath[];
  /**
   * Comparisons of a size against a value no static reading can compute, or of a size-derived value
   * computed in a type that wraps within the sizes' range (fail closed; `why` says which).
   */
  opaque: { line: number; text: string; why?: string }[];
  /**
   * Periods of the kernel's size-dependent behaviour: steps of loops over sizes (i += 8), moduli,
   * divisors, masks, shifts, and constants inside comparisons of two size-derived sides
   * (i + 8 <= N). The proof covers their residues jointly.
   */
  periods: number[];
}

const CMP = new Set(['<', '>', '<=', '>=', '==', '!=']);
const MINMAX = /^(f?(min|max)[fl]?|__builtin_f(min|max)[fl]?)$/;
/** Machine values a kernel may read (thread counts): what they can be, for thresholds built from them. */
const MACHINE_CALLS = /^omp_get_(num_threads|max_threads|num_procs|thread_num|thread_limit|team_size)$/;
const MACHINE_VALUES = [1, 2, 4, 8, 16, 17, 32, 64];
const MAX_SET = 24;
/** CUDA's launch coordinates: their ranges follow the grid, which follows the sizes. */
const CUDA_INDEX = /^(threadIdx|blockIdx|blockDim|gridDim)$/;

/** Identifiers whose value the expression carries (not those only used to pick an element). */
function valueIds(e: CExpr, out = new Set<string>()): Set<string> {
  if (e.k === 'id') out.add(e.name);
  else if (e.k === 'member' && e.a.k === 'id' && CUDA_INDEX.test(e.a.name)) out.add(e.a.name);
  else if (e.k === 'index' || e.k === 'sizeof' || e.k === 'member' || (e.k === 'un' && e.op === '*')) return out;
  else if (e.k === 'call' && e.fn && MACHINE_CALLS.test(e.fn)) out.add(`${e.fn}()`);
  else for (const c of exprChildren(e)) valueIds(c, out);
  return out;
}

const SIZEOF: Record<string, number> = {
  char: 1,
  short: 2,
  int: 4,
  long: 8,
  'long long': 8,
  float: 4,
  double: 8,
  size_t: 8,
  ptrdiff_t: 8,
  int8_t: 1,
  uint8_t: 1,
  int16_t: 2,
  uint16_t: 2,
  int32_t: 4,
  uint32_t: 4,
  int64_t: 8,
  uint64_t: 8,
  intptr_t: 8,
  uintptr_t: 8,
  _Bool: 1,
  bool: 1,
};

function sizeofType(type: string, real: 'float' | 'double'): number | undefined {
  if (/\*/.test(type)) return 8;
  const t =
    type
      .replace(/\b(const|volatile|signed|unsigned|static|restrict|__restrict__|__restrict)\b/g, '')
      .trim()
      .replace(/\s+/g, ' ') || 'int';
  if (t === 'real') return real === 'float' ? 4 : 8;
  if (t === 'long int' || t === 'long long int') return 8;
  if (t === 'short int') return 2;
  return SIZEOF[t];
}

function intOf(type: string, v: number): number {
  if (!Number.isFinite(v)) return v;
  const t = Math.trunc(v);
  if (/\b(long|size_t|int64_t|uint64_t|ptrdiff_t|intptr_t)\b/.test(type)) return t;
  if (/\bunsigned\b|\buint32_t\b/.test(type)) return t >>> 0;
  if (/\b(char|int8_t)\b/.test(type)) return /unsigned|uint8_t/.test(type) ? t & 0xff : ((t & 0xff) << 24) >> 24;
  if (/\b(short|int16_t)\b/.test(type)) return /unsigned|uint16_t/.test(type) ? t & 0xffff : ((t & 0xffff) << 16) >> 16;
  return t | 0;
}

function applyBin(op: string, a: number, b: number, float: boolean): number | undefined {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? undefined : float ? a / b : Math.trunc(a / b);
    case '%':
      return b === 0 ? undefined : a % b;
    case '<<':
      return b < 0 || b > 62 ? undefined : a * 2 ** b;
    case '>>':
      return b < 0 || b > 62 ? undefined : Math.floor(a / 2 ** b);
    case '&':
      return Number(BigInt.asIntN(64, BigInt(Math.trunc(a)) & BigInt(Math.trunc(b))));
    case '|':
      return Number(BigInt.asIntN(64, BigInt(Math.trunc(a)) | BigInt(Math.trunc(b))));
    case '^':
      return Number(BigInt.asIntN(64, BigInt(Math.trunc(a)) ^ BigInt(Math.trunc(b))));
    case '<':
      return +(a < b);
    case '>':
      return +(a > b);
    case '<=':
      return +(a <= b);
    case '>=':
      return +(a >= b);
    case '==':
      return +(a === b);
    case '!=':
      return +(a !== b);
    case '&&':
      return +(!!a && !!b);
    case '||':
      return +(!!a || !!b);
    case ',':
      return b;
  }
  return undefined;
}

/** The analysis over one program: constants, what derives from the sizes, and the paths. */
class Analysis {
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
        (this.counters.add(n), this.deps.set(n, new Set(this.t.sizeSymbols)));
    // Integer parameters of helper functions may carry any size.
    for (const [n, ds] of this.decls)
      if (ds.some((d) => !d.init && !d.pointer && !d.array && this.kindOf(n) === 'int' && !this.t.sizeSymbols.includes(n) && !this.writes.has(n) && !this.prog.enums.has(n))) this.deps.set(n, new Set(this.t.sizeSymbols));
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

function wrap(v: number | undefined): number[] | undefined {
  return v === undefined ? undefined : [v];
}

function lvalueName(e: CExpr): string | undefined {
  if (e.k === 'id') return e.name;
  return undefined;
}

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
  const periods = new Set<number>();
  const all = t.sizeSymbols;
  const ceilings = sizeCeilings(t.params);
  const lowest: Size = Object.fromEntries(all.map((s) => [s, Math.max(1, t.limits[s].min)]));
  const add = (kind: SizePath['kind'], cs: number[], side: CExpr, whole: CExpr, line: number) => {
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
    for (const c of cs) {
      if (kind === 'mod' || kind === 'div') periods.add(Math.abs(Math.trunc(c)));
      if (kind === 'shift' && c >= 0 && c < 31) periods.add(2 ** c);
      if (kind === 'mask') for (const v of boundaryValues('mask', c)) if (v >= 2 && (v & (v - 1)) === 0 && v < 2 ** 31) periods.add(v);
      const values = boundaryValues(kind, c).filter((v) => v >= 1);
      if (values.length) paths.push({ kind, constant: c, values, symbols: [...deps].sort((x, y) => all.indexOf(x) - all.indexOf(y)), f, line, text: showExpr(whole) });
    }
  };
  const visit = (e: CExpr) => {
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

function libm(fn: string): ((...x: number[]) => number) | undefined {
  const m = /^(?:__builtin_)?(sqrt|cbrt|log|log2|log10|exp|exp2|pow|floor|ceil|round|trunc|fabs|fmin|fmax|abs)[fl]?$/.exec(fn);
  if (!m) return undefined;
  const name = { fabs: 'abs', fmin: 'min', fmax: 'max' }[m[1]] ?? m[1];
  const g = (Math as unknown as Record<string, (...x: number[]) => number>)[name];
  return typeof g === 'function' ? g : undefined;
}

export interface PathBudget {
  /** Largest work (the target's flops expression) of one size-path case. */
  caseWork: number;
  /** Largest number of elements over all arrays of one case. */
  caseElements: number;
  /** Most size-path cases per candidate. */
  maxCases: number;
}

export type PathSizes = { sizes: Size[]; paths: number } | { untestable: string; line?: number };

const SMALL = 160;

/**
 * Sizes that put every size-dependent path on both sides of its boundary, jointly across the
 * dimensions it depends on: each dimension alone at the boundary (the others small), all of them
 * together at it (the diagonal), and, where the side is a known function of the sizes, the sizes
 * where that function crosses the boundary. A required size above the budget rejects (fail closed).
 */
export function pathSizes(t: Target, analysis: SizeAnalysis, budget: PathBudget, elements: (z: Size) => number): PathSizes {
  if (analysis.opaque.length) {
    const o = analysis.opaque[0];
    return { untestable: o.why ?? `compares a size with a value that no static reading can compute (\`${o.text}\`), so the sizes where its behaviour changes cannot be chosen`, line: o.line };
  }
  const lo: Size = {};
  for (const s of t.sizeSymbols) lo[s] = Math.max(1, t.limits[s].min);
  const base: Size = { ...lo };
  for (const z of t.checkSizes) for (const s of t.sizeSymbols) base[s] = Math.max(base[s], Math.min(z[s], SMALL));
  const clampMin = (z: Size) => {
    const out: Size = {};
    for (const s of t.sizeSymbols) out[s] = Math.max(t.limits[s].min, Math.round(z[s]));
    return out;
  };
  const required = new Map<string, { z: Size; p: SizePath }>();
  const optional = new Map<string, Size>();
  const need = (z: Size, p: SizePath) => {
    const c = clampMin(z);
    required.set(JSON.stringify(c), { z: c, p });
  };
  const maybe = (z: Size) => {
    const c = clampMin(z);
    optional.set(JSON.stringify(c), c);
  };
  // How far a ray may go: the sizes' types allow that much (a threshold up there is one a user's
  // size can cross: it must be checked, or the kernel is refused as above the budget).
  const ceiling = Math.max(1 << 30, ...Object.values(sizeCeilings(t.params)));
  const crossing = (f: (z: Size) => number, make: (x: number) => Size, v: number): number | undefined => {
    // smallest x >= 1 where f crosses v (f assumed monotone along the ray)
    const f1 = f(make(1));
    const up = f(make(1 << 30)) >= f1;
    const reached = (x: number) => (up ? f(make(x)) >= v : f(make(x)) <= v);
    if (reached(1)) return undefined;
    let hi = 2;
    while (hi < ceiling && !reached(hi)) hi *= 2;
    if (!reached(hi)) return undefined;
    let l = hi / 2;
    while (hi - l > 1) {
      const m = Math.floor((l + hi) / 2);
      if (reached(m)) hi = m;
      else l = m;
    }
    return hi;
  };
  for (const p of analysis.paths) {
    const S = p.symbols.length ? p.symbols : t.sizeSymbols;
    for (const v of p.values) {
      const rays: ((x: number) => Size)[] = [...S.map((s) => (x: number) => ({ ...lo, [s]: x })), (x: number) => Object.fromEntries(t.sizeSymbols.map((s) => [s, S.includes(s) ? x : lo[s]]))];
      for (const [i, ray] of rays.entries()) {
        const x = p.f ? crossing(p.f, ray, v) : v;
        if (x === undefined) continue;
        // Without the side as a function, a loop index runs one below its bound: one more size.
        for (const y of p.f ? [x - 1, x, x + 1] : [x - 1, x, x + 1, x + 2]) if (y >= 1) need(ray(y), p);
        if (i < S.length && x <= SMALL) maybe({ ...base, [S[i]]: x });
      }
      if (!p.f && S.length >= 2) {
        const r = Math.ceil(v ** (1 / S.length));
        for (const y of [r - 1, r, r + 1]) if (y >= 1) maybe(Object.fromEntries(t.sizeSymbols.map((s) => [s, S.includes(s) ? y : lo[s]])));
      }
    }
  }
  const work = (z: Size) => Math.max(1, evalExpr(t.flops, z));
  for (const { z, p } of required.values())
    if (work(z) > budget.caseWork || elements(z) > budget.caseElements)
      return {
        untestable: `changes behaviour where \`${p.text}\` crosses ${p.constant}; checking that needs ${Object.entries(z)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')} (${work(z).toExponential(1)} operations, ${elements(z).toExponential(1)} elements), above the check budget (${budget.caseWork.toExponential(1)} operations, ${budget.caseElements.toExponential(1)} elements)`,
        line: p.line,
      };
  // Sizes whose every dimension is small are cheap: fold them into fewer cases, each dimension
  // still taking every one of its values (and the diagonal ones kept whole).
  const big: Size[] = [];
  const perDim = new Map<string, Set<number>>(t.sizeSymbols.map((s) => [s, new Set<number>()]));
  const diag: Size[] = [];
  for (const { z } of required.values()) {
    const small = t.sizeSymbols.every((s) => z[s] <= SMALL);
    const varied = t.sizeSymbols.filter((s) => z[s] !== lo[s]);
    if (!small) big.push(z);
    else if (varied.length <= 1) varied.forEach((s) => perDim.get(s)!.add(z[s]));
    else diag.push(z);
  }
  const folded: Size[] = [];
  const width = Math.max(0, ...[...perDim.values()].map((v) => v.size));
  const lists = new Map([...perDim].map(([s, v]) => [s, [...v].sort((x, y) => x - y)]));
  for (let j = 0; j < width; j++) {
    const z: Size = {};
    for (const s of t.sizeSymbols) {
      const l = lists.get(s)!;
      z[s] = l.length ? l[j % l.length] : lo[s];
    }
    folded.push(clampMin(z));
  }
  const sizes: Size[] = [];
  const seen = new Set<string>();
  for (const z of [...big, ...diag, ...folded, ...optional.values()]) {
    const k = JSON.stringify(z);
    if (seen.has(k) || work(z) > budget.caseWork || elements(z) > budget.caseElements) continue;
    seen.add(k);
    sizes.push(z);
  }
  const requiredCount = big.length + diag.length + folded.length;
  if (requiredCount > budget.maxCases) return { untestable: `has ${analysis.paths.length} size-dependent boundaries needing ${requiredCount} check sizes, more than the check budget of ${budget.maxCases}` };
  return { sizes: sizes.slice(0, Math.max(budget.maxCases, requiredCount)), paths: analysis.paths.length };
}
