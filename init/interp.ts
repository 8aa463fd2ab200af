import type { Expr, Func, Stmt } from '../csyntax/index.js';
import { arith, builtinCall, inputValue, InterpError, LIBM } from './c-values.js';

/**
 * An interpreter for the C subset kernels are written in, run at small sizes to measure what the
 * kernel does: the floating-point operations it executes (+ − × ÷, comparisons of reals, libm
 * calls), and per array the elements it touches, the largest index, whether it writes, and whether
 * it reads an element before writing it (so its input matters: `inout`, not `out`).
 */
export { InterpError };

export interface ArrayTrace {
  written: boolean;
  /** Some element was read before the kernel wrote it: the array's input values matter. */
  readsInput: boolean;
  distinct: number;
  maxIndex: number;
  minIndex: number;
}

export interface Trace {
  flops: number;
  arrays: Map<string, ArrayTrace>;
}

interface Arr {
  name: string;
  real: boolean;
  data: number[];
  /** Per element: 0 untouched, 1 read first, 2 written first. */
  first: Uint8Array;
  trace?: ArrayTrace;
}
interface Ptr {
  p: Arr;
  off: number;
}
type Value = number | Ptr;

const REAL_TYPE = /\b(real|float|double)\b/;

const isPtr = (v: Value): v is Ptr => typeof v === 'object';
const MAX_STEPS = 20_000_000;
const BREAK = 1;
const CONTINUE = 2;
const RETURN = 3;

/** Run `fn` (with the file's other functions callable) on sizes and deterministic pseudo-random inputs. */
export function traceKernel(
  fn: Func,
  helpers: ReadonlyMap<string, Func>,
  sizes: Record<string, number>,
  real: 'float' | 'double' = 'float',
  macros: ReadonlyMap<string, Expr> = new Map(),
  /** Integer arrays' contents, element by element (indices in range, CSR row pointers). */
  intValues: ReadonlyMap<string, (i: number) => number> = new Map(),
): Trace {
  return new Interp(helpers, real, macros, intValues).run(fn, sizes);
}

class Interp {
  private flops = 0;
  private steps = 0;
  private ret: Value = 0;
  private readonly arrays: Arr[] = [];
  /** Per function: the declared type of each name (params and locals), for telling real from integer arithmetic. */
  private types = new Map<string, string>();

  constructor(
    private readonly helpers: ReadonlyMap<string, Func>,
    private readonly real: 'float' | 'double',
    /** The file's object-like macros (`#define W0 0.25f`), read as the expressions they expand to. */
    private readonly macros: ReadonlyMap<string, Expr>,
    private readonly intValues: ReadonlyMap<string, (i: number) => number>,
  ) {}

  run(fn: Func, sizes: Record<string, number>): Trace {
    const env = new Map<string, Value>();
    for (const p of fn.params) {
      if (p.ptr) {
        const a: Arr = { name: p.name, real: REAL_TYPE.test(p.type), data: [], first: new Uint8Array(1 << 16) };
        a.trace = { written: false, readsInput: false, distinct: 0, maxIndex: -1, minIndex: Infinity };
        this.arrays.push(a);
        env.set(p.name, { p: a, off: 0 });
      } else if (REAL_TYPE.test(p.type)) env.set(p.name, 0.75);
      else {
        const v = sizes[p.name];
        if (v === undefined) throw new InterpError(`no value for parameter ${p.name}`);
        env.set(p.name, v);
      }
    }
    this.call(fn, env);
    return { flops: this.flops, arrays: new Map(this.arrays.filter((a) => a.trace).map((a) => [a.name, a.trace!])) };
  }

  private call(fn: Func, env: Map<string, Value>): Value {
    const saved = this.types;
    this.types = new Map(fn.params.map((p) => [p.name, p.type + (p.ptr ? ' *' : '')]));
    this.ret = 0;
    this.exec(fn.body, env);
    this.types = saved;
    return this.ret;
  }

  private isReal(e: Expr): boolean {
    switch (e.k) {
      case 'num':
        return /[.eEpP]|[fF]$/.test(e.text) && !/^0[xX][0-9a-fA-F]+$/.test(e.text);
      case 'id': {
        const t = this.types.get(e.name);
        if (!t && this.macros.has(e.name)) return this.isReal(this.macros.get(e.name)!);
        return !!t && REAL_TYPE.test(t) && !t.includes('*');
      }
      case 'index':
        return this.elemReal(e.arr);
      case 'un':
        return e.op === '*' ? this.elemReal(e.arg) : e.op === '!' ? false : this.isReal(e.arg);
      case 'post':
        return this.isReal(e.arg);
      case 'bin':
        return ['<', '>', '<=', '>=', '==', '!=', '&&', '||'].includes(e.op) ? false : this.isReal(e.l) || this.isReal(e.r);
      case 'assign':
        return this.isReal(e.l);
      case 'cond':
        return this.isReal(e.t) || this.isReal(e.f);
      case 'call': {
        const name = e.fn.k === 'id' ? e.fn.name : '';
        const h = this.helpers.get(name);
        if (h) return REAL_TYPE.test(h.ret) && !h.ret.includes('*');
        return LIBM.test(name);
      }
      case 'cast':
        return REAL_TYPE.test(e.type) && !e.type.includes('*');
      case 'comma':
        return this.isReal(e.r);
      default:
        return false;
    }
  }
  private elemReal(base: Expr): boolean {
    if (base.k === 'id') {
      const t = this.types.get(base.name) ?? '';
      return REAL_TYPE.test(t);
    }
    if (base.k === 'bin') return this.elemReal(base.l.k === 'id' && (this.types.get(base.l.name) ?? '').includes('*') ? base.l : base.r);
    if (base.k === 'cast') return REAL_TYPE.test(base.type);
    return true;
  }

  private tick(): void {
    if (++this.steps > MAX_STEPS) throw new InterpError(`more than ${MAX_STEPS} steps at these sizes (a loop that does not end?)`);
  }

  private exec(s: Stmt, env: Map<string, Value>): number {
    this.tick();
    switch (s.k) {
      case 'block':
        for (const x of s.body) {
          const r = this.exec(x, env);
          if (r) return r;
        }
        return 0;
      case 'decl':
        for (const d of s.decls) {
          this.types.set(d.name, s.type + (d.ptr ? ' *' : ''));
          if (d.dims.length) {
            const n = d.dims.reduce((m, x) => m * this.int(x, env), 1);
            const a: Arr = { name: d.name, real: REAL_TYPE.test(s.type), data: new Array<number>(n).fill(0), first: new Uint8Array(0) };
            if (d.init?.k === 'init') d.init.items.forEach((it, i) => (a.data[i] = this.num(it, env)));
            this.types.set(d.name, s.type + ' *');
            env.set(d.name, { p: a, off: 0 });
          } else if (d.init) {
            if (d.init.k === 'init') throw new InterpError(`line: initialiser list for scalar ${d.name}`);
            const v = this.eval(d.init, env);
            env.set(d.name, isPtr(v) || d.ptr ? v : this.convert(v, s.type));
          } else env.set(d.name, 0);
        }
        return 0;
      case 'expr':
        this.eval(s.e, env);
        return 0;
      case 'for': {
        if (s.init) this.exec(s.init, env);
        for (;;) {
          this.tick();
          if (s.cond && !this.truth(s.cond, env)) break;
          const r = this.exec(s.body, env);
          if (r === BREAK) break;
          if (r === RETURN) return r;
          if (s.step) this.eval(s.step, env);
        }
        return 0;
      }
      case 'while':
        while (this.truth(s.cond, env)) {
          this.tick();
          const r = this.exec(s.body, env);
          if (r === BREAK) break;
          if (r === RETURN) return r;
        }
        return 0;
      case 'do':
        do {
          this.tick();
          const r = this.exec(s.body, env);
          if (r === BREAK) break;
          if (r === RETURN) return r;
        } while (this.truth(s.cond, env));
        return 0;
      case 'if':
        if (this.truth(s.cond, env)) return this.exec(s.then, env);
        return s.else ? this.exec(s.else, env) : 0;
      case 'return':
        this.ret = s.e ? this.eval(s.e, env) : 0;
        return RETURN;
      case 'break':
        return BREAK;
      case 'continue':
        return CONTINUE;
      case 'pragma':
      case 'empty':
        return 0;
      case 'raw':
        throw new InterpError(`cannot interpret "${s.text.split('\n')[0].slice(0, 60)}"`);
    }
  }

  private convert(v: number, type: string): number {
    if (REAL_TYPE.test(type)) return v;
    if (/\b(int|long|short|char|size_t|unsigned|ptrdiff_t|int\d+_t|uint\d+_t|bool|_Bool)\b/.test(type)) return Math.trunc(v);
    return v;
  }
  private truth(e: Expr, env: Map<string, Value>): boolean {
    const v = this.eval(e, env);
    return isPtr(v) ? true : v !== 0;
  }
  private num(e: Expr, env: Map<string, Value>): number {
    const v = this.eval(e, env);
    if (isPtr(v)) throw new InterpError('a pointer used as a number');
    return v;
  }
  private int(e: Expr, env: Map<string, Value>): number {
    return Math.trunc(this.num(e, env));
  }

  private load(p: Ptr): number {
    const i = p.off;
    if (!Number.isInteger(i)) throw new InterpError(`array ${p.p.name} indexed by a non-integer`);
    if (i < 0) throw new InterpError(`array ${p.p.name} read at a negative index (${i})`);
    const t = p.p.trace;
    if (t) {
      this.mark(p.p, i, 1);
      if (p.p.data[i] === undefined) {
        const drawn = this.intValues.get(p.p.name);
        p.p.data[i] = p.p.real ? inputValue(p.p.name, i) : drawn ? drawn(i) : 0;
      }
    }
    return p.p.data[i] ?? 0;
  }
  private store(p: Ptr, v: number): void {
    const i = p.off;
    if (!Number.isInteger(i)) throw new InterpError(`array ${p.p.name} indexed by a non-integer`);
    if (i < 0) throw new InterpError(`array ${p.p.name} written at a negative index (${i})`);
    if (p.p.trace) {
      this.mark(p.p, i, 2);
      p.p.trace.written = true;
    }
    p.p.data[i] = p.p.real ? v : Math.trunc(v);
  }
  private mark(a: Arr, i: number, kind: 1 | 2): void {
    const t = a.trace!;
    if (i >= a.first.length) {
      const grown = new Uint8Array(Math.max(i + 1, a.first.length * 2));
      grown.set(a.first);
      a.first = grown;
    }
    if (a.first[i] === 0) {
      a.first[i] = kind;
      t.distinct++;
      if (kind === 1) t.readsInput = true;
      if (i > t.maxIndex) t.maxIndex = i;
      if (i < t.minIndex) t.minIndex = i;
    }
  }

  private place(e: Expr, env: Map<string, Value>): Ptr {
    if (e.k === 'index') {
      const base = this.eval(e.arr, env);
      if (!isPtr(base)) throw new InterpError('indexing something that is not an array');
      return { p: base.p, off: base.off + this.int(e.idx, env) };
    }
    if (e.k === 'un' && e.op === '*') {
      const base = this.eval(e.arg, env);
      if (!isPtr(base)) throw new InterpError('dereferencing something that is not a pointer');
      return base;
    }
    throw new InterpError('an assignment to something other than a variable or an array element');
  }

  private eval(e: Expr, env: Map<string, Value>): Value {
    this.tick();
    switch (e.k) {
      case 'num': {
        const t = e.text.replace(/[uUlLfF]+$/, '');
        const v = /^0[0-7]+$/.test(t) ? parseInt(t, 8) : Number(t);
        if (Number.isNaN(v)) throw new InterpError(`literal ${e.text}`);
        return v;
      }
      case 'id': {
        const v = env.get(e.name);
        if (v === undefined) {
          const m = this.macros.get(e.name);
          if (m) return this.eval(m, env);
          if (e.name === 'NULL') return 0;
          throw new InterpError(`"${e.name}" is not a parameter or local of the kernel`);
        }
        return v;
      }
      case 'index':
      case 'un':
        if (e.k === 'index' || e.op === '*') return this.load(this.place(e, env));
        return this.unary(e, env);
      case 'post': {
        const old = this.eval(e.arg, env);
        this.assignTo(e.arg, isPtr(old) ? { p: old.p, off: old.off + (e.op === '++' ? 1 : -1) } : old + (e.op === '++' ? 1 : -1), env);
        return old;
      }
      case 'bin': {
        if (e.op === '&&') return +(this.truth(e.l, env) && this.truth(e.r, env));
        if (e.op === '||') return +(this.truth(e.l, env) || this.truth(e.r, env));
        const a = this.eval(e.l, env);
        const b = this.eval(e.r, env);
        if (isPtr(a) || isPtr(b)) {
          if (isPtr(a) && !isPtr(b) && (e.op === '+' || e.op === '-')) return { p: a.p, off: a.off + (e.op === '+' ? b : -b) };
          if (!isPtr(a) && isPtr(b) && e.op === '+') return { p: b.p, off: b.off + a };
          if (isPtr(a) && isPtr(b) && e.op === '-' && a.p === b.p) return a.off - b.off;
          throw new InterpError(`pointer arithmetic with ${e.op}`);
        }
        const real = this.isReal(e.l) || this.isReal(e.r);
        if (real && ['+', '-', '*', '/', '<', '>', '<=', '>=', '==', '!='].includes(e.op)) this.flops++;
        return arith(e.op, a, b, real);
      }
      case 'assign': {
        if (e.op === '=') {
          const v = this.eval(e.r, env);
          return this.assignTo(e.l, v, env);
        }
        const cur = this.eval(e.l, env);
        const r = this.eval(e.r, env);
        const op = e.op.slice(0, -1);
        if (isPtr(cur)) {
          if (isPtr(r) || (op !== '+' && op !== '-')) throw new InterpError('pointer arithmetic');
          return this.assignTo(e.l, { p: cur.p, off: cur.off + (op === '+' ? r : -r) }, env);
        }
        if (isPtr(r)) throw new InterpError('pointer arithmetic');
        const real = this.isReal(e.l) || this.isReal(e.r);
        if (real) this.flops++;
        return this.assignTo(e.l, arith(op, cur, r, real), env);
      }
      case 'cond':
        return this.truth(e.c, env) ? this.eval(e.t, env) : this.eval(e.f, env);
      case 'call':
        return this.callExpr(e, env);
      case 'cast': {
        const v = this.eval(e.arg, env);
        if (isPtr(v)) return v;
        return e.type.includes('*') ? v : this.convert(v, e.type);
      }
      case 'sizeof':
        return /double|long|size_t|int64|uint64|ptrdiff|\*/.test(e.type) ? 8 : /\breal\b/.test(e.type) ? (this.real === 'double' ? 8 : 4) : /short/.test(e.type) ? 2 : /char/.test(e.type) ? 1 : 4;
      case 'comma':
        this.eval(e.l, env);
        return this.eval(e.r, env);
      default:
        throw new InterpError(`cannot interpret a ${e.k} expression`);
    }
  }

  private unary(e: Expr & { k: 'un' }, env: Map<string, Value>): Value {
    if (e.op === '++' || e.op === '--') {
      const old = this.eval(e.arg, env);
      const next = isPtr(old) ? { p: old.p, off: old.off + (e.op === '++' ? 1 : -1) } : old + (e.op === '++' ? 1 : -1);
      return this.assignTo(e.arg, next, env);
    }
    if (e.op === '&') {
      if (e.arg.k === 'index') return this.place(e.arg, env);
      throw new InterpError('taking the address of a variable');
    }
    const v = this.num(e.arg, env);
    if (e.op === '-') return -v;
    if (e.op === '+') return v;
    if (e.op === '!') return +!v;
    if (e.op === '~') return ~v;
    throw new InterpError(`operator ${e.op}`);
  }

  private assignTo(l: Expr, v: Value, env: Map<string, Value>): Value {
    if (l.k === 'id') {
      if (!env.has(l.name)) throw new InterpError(`assignment to "${l.name}", which is not a local`);
      const t = this.types.get(l.name) ?? '';
      const out = isPtr(v) || t.includes('*') ? v : this.convert(v, t);
      env.set(l.name, out);
      return out;
    }
    if (isPtr(v)) throw new InterpError('a pointer stored into an array');
    const p = this.place(l, env);
    this.store(p, v);
    return v;
  }

  private callExpr(e: Expr & { k: 'call' }, env: Map<string, Value>): Value {
    const name = e.fn.k === 'id' ? e.fn.name : '';
    const h = this.helpers.get(name);
    if (h) {
      const args = e.args.map((a) => this.eval(a, env));
      const inner = new Map<string, Value>();
      h.params.forEach((p, i) => inner.set(p.name, args[i] ?? 0));
      return this.call(h, inner);
    }
    const args = e.args.map((a) => this.num(a, env));
    if (LIBM.test(name)) this.flops++;
    const v = builtinCall(name, args);
    if (v !== undefined) return v;
    throw new InterpError(`a call to ${name || 'a function pointer'}, which is not defined in the file`);
  }
}
