import { forEachExpr, printExpr, type Expr, type Func, type Param } from '../csyntax/index.js';
import { INT_TYPES } from '../targets/index.js';
import { fitPolynomial, type Fit, type Size } from './fit.js';
import { InterpError, traceKernel, type Trace } from './interp.js';
import { Poly, polyOf } from './poly.js';
import { selectKernel } from './select.js';
import { guessScalars, type ScalarGuess } from './scalars.js';
import { collectAccesses, inferShape } from './shapes.js';

export type Role = 'in' | 'out' | 'inout';
export type IntValues = 'index' | 'csr_rowptr' | 'range';

/** What kloop init found out about one pointer argument; a missing field has a one-line `why`. */
export interface InferredArg {
  name: string;
  /** Integer (index) array rather than real data. */
  integer: boolean;
  /** Bytes of one element. */
  bytes: number;
  isConst: boolean;
  role?: Role;
  roleWhy?: string;
  shape?: string[];
  shapeWhy?: string;
  /** How the shape was found: from the index expressions, or (1-D) from the largest index touched. */
  shapeFrom?: 'indices' | 'largest index' | 'declaration';
  shapePoly?: Poly[];
  /** The name the kernel gave it, when kloop init renamed it (a name kloop's harness uses itself). */
  renamedFrom?: string;
  /** How a shape not read from indices was decided (an array indexed only through an index array). */
  shapeNote?: string;
  /** An integer array whose contents the kernel reads as input (the verifier must draw valid ones). */
  needsValues?: boolean;
  /** An integer array's contents, as target.yaml's `values` (an index into an extent, or CSR row pointers up to a count), and how it was decided. */
  values?: { kind: IntValues; bound: Poly; from: string; lo?: number };
}

export interface Inferred {
  fn: string;
  real: 'float' | 'double';
  /** Why the scalar type could not be told (float and double arrays mixed). */
  realWhy?: string;
  /** The signature as target.yaml spells it (real for the scalar type, const on every input). */
  signature: string;
  sizes: string[];
  /** Real scalar parameters (alpha, eps). */
  scalars: string[];
  /** Each scalar's range as its uses tell (a coefficient, a divisor...), or why they do not. */
  scalarGuesses: Map<string, ScalarGuess>;
  args: InferredArg[];
  flops?: string;
  flopsWhy?: string;
  bytes?: string;
  bytesWhy?: string;
  /** reference.c as written to the target folder. */
  source: string;
  /** The counts' fitted polynomials, to size the checks and the bench. */
  flopsPoly?: Poly;
  bytesPoly?: Poly;
}

const INT_TYPE = /\b(int|long|short|char|size_t|unsigned|ptrdiff_t|int\d+_t|uint\d+_t)\b/;
const words = (t: string) =>
  t
    .replace(/\b(const|restrict|__restrict|__restrict__|volatile|register)\b/g, ' ')
    .trim()
    .replace(/\s+/g, ' ');

/** The scalar type the kernel computes in: from its pointer arguments' element types. */
function realOf(fn: Func): 'float' | 'double' | string {
  const types = new Set(fn.params.filter((p) => p.ptr && !INT_TYPE.test(p.type)).map((p) => words(p.type)));
  if (types.has('float') && types.has('double')) return 'its arrays mix float and double';
  return types.has('double') ? 'double' : 'float';
}

/** reference.c: the kernel's header written as the signature, `float`/`double` (the real type) spelled `real`. */
function referenceText(source: string, fn: Func, real: 'float' | 'double', signature: string): string {
  const spell = (t: string) => t.replace(new RegExp(`\\b${real}\\b`, 'g'), 'real');
  const header = new RegExp(`(?:\\b(?:static|inline|__inline)\\s+)*\\bvoid\\s+${fn.name}\\s*\\((?:[^()]|\\([^()]*\\))*\\)\\s*\\{`);
  const m = header.exec(source);
  if (!m) return spell(source);
  return spell(source.slice(0, m.index)) + signature + ' {' + spell(source.slice(m.index + m[0].length));
}

const byteSize = (p: Param, real: 'float' | 'double') => (INT_TYPE.test(p.type) ? (intType(p)?.bytes ?? 4) : real === 'double' ? 8 : 4);
/** A parameter's integer type as the target loader reads it (`unsigned char`, `int16_t`...). */
const intType = (p: Param) => {
  const w = words(p.type)
    .replace(/\b(static|inline)\b/g, '')
    .trim()
    .split(' ');
  const canon = w
    .filter((x) => x !== 'signed' || w.length === 1 || w.includes('char'))
    .join(' ')
    .replace(/\b(short|long) int\b/, '$1')
    .replace(/^unsigned int$/, 'unsigned');
  return INT_TYPES[canon];
};

/**
 * Read a C file and infer the target it makes: the signature, each pointer argument's role (from
 * what the kernel does when run: read only, written only, or read before written) and shape (from
 * its index expressions), and flops and bytes (operations and distinct elements counted by running
 * the kernel in an interpreter at small sizes, fitted to a polynomial and checked at another size).
 */
export function inferTarget(file: string, text: string, name?: string): Inferred {
  const { fn, helpers, source, macros } = selectKernel(file, text, name);
  const realOrWhy = realOf(fn);
  const real = realOrWhy === 'double' ? 'double' : 'float';
  const sizes = fn.params.filter((p) => !p.ptr && INT_TYPE.test(p.type)).map((p) => p.name);
  const scalars = fn.params.filter((p) => !p.ptr && !INT_TYPE.test(p.type)).map((p) => p.name);
  const pointers = fn.params.filter((p) => p.ptr);
  // The file's macros that are integer constants (`#define N 1024`), as extents read them.
  const constants = new Map<string, Poly>();
  for (let grew = true; grew;) {
    grew = false;
    for (const [k, e] of macros) {
      const v = constants.has(k) ? undefined : polyOf(e, constants);
      if (v?.isConst()) (constants.set(k, v), (grew = true));
    }
  }
  const { accesses, escapes } = collectAccesses(
    fn,
    pointers.map((p) => p.name),
    constants,
  );
  const intArrays = pointers.filter((p) => INT_TYPE.test(p.type)).map((p) => p.name);
  const args: InferredArg[] = pointers.map((p) => ({ name: p.name, integer: INT_TYPE.test(p.type), isConst: /\bconst\b/.test(p.type), bytes: byteSize(p, real) }));
  const arg = (n: string) => args.find((a) => a.name === n)!;

  // Shapes from the index expressions.
  const shapes = new Map(pointers.map((p) => [p.name, escapes.has(p.name) ? ({ ok: false, why: `${p.name} is ${escapes.get(p.name)}` } as const) : inferShape(p.name, accesses, sizes)]));
  // An array parameter declared with every extent (`real A[M][N]`) has that shape (checked below against what the run touched).
  const declaredShape = new Set<string>();
  for (const p of pointers) {
    const dims = p.declared?.map((d) => (d ? polyOf(d, constants) : undefined));
    if (!dims || dims.some((d) => !d || [...d.vars()].some((v) => !sizes.includes(v)))) continue;
    shapes.set(p.name, { ok: true, shape: dims as Poly[] });
    declaredShape.add(p.name);
  }
  // Integer arrays read as indices (`x[idx[i]]`: values index x) or as CSR row pointers (`for (k = P[i];
  // k < P[i + 1]; k++) vals[k]`: values rise from 0 to the entries' count, vals' extent). An extent no
  // shape gives is a size the kernel uses nowhere else (gather's m); two such are told apart only when
  // one is named as a count of entries (nnz), else they stay TODO.
  const free = freeSizes(
    fn,
    sizes,
    [...shapes.values()].flatMap((r) => (r.ok ? r.shape : [])),
  );
  const slots: { kind: IntValues; P: string; arrays: string[] }[] = [];
  for (const P of intArrays) {
    const rows = [...new Set(accesses.filter((x) => x.csr === P).map((x) => x.array))];
    if (rows.length) {
      slots.push({ kind: 'csr_rowptr', P, arrays: rows });
      continue;
    }
    const into = [...new Set(accesses.filter((x) => x.through === P).map((x) => x.array))];
    if (into.length !== 1) continue;
    const q = shapes.get(into[0])!;
    if (q.ok && q.shape.length === 1) arg(P).values = { kind: 'index', bound: q.shape[0], from: `values index ${into[0]}, whose extent is ${q.shape[0].toString(sizes)}` };
    else if (!q.ok && !accesses.some((x) => x.array === into[0] && !x.through)) slots.push({ kind: 'index', P, arrays: into });
  }
  const countName = /^(nnz|nz|nonzeros?|n_?nz|n_?entries|entries)$/i;
  const pick = (slot: (typeof slots)[number]): string | undefined => {
    if (slots.length === 1 && free.length === 1) return free[0];
    if (slots.length !== 2 || free.length !== 2 || slots[0].kind === slots[1].kind) return undefined;
    const counts = free.filter((f) => countName.test(f));
    if (counts.length !== 1) return undefined;
    return slot.kind === 'csr_rowptr' ? counts[0] : free.find((f) => f !== counts[0]);
  };
  for (const slot of slots) {
    const S = pick(slot);
    if (!S) continue;
    const how = slots.length === 1 ? 'the one size the kernel uses nowhere else' : slot.kind === 'csr_rowptr' ? 'the free size named as a count of entries' : 'the other free size';
    for (const x of slot.arrays) {
      shapes.set(x, { ok: true, shape: [Poly.v(S)] });
      arg(x).shapeNote = slot.kind === 'csr_rowptr' ? `indexed over the rows of ${slot.P}: its extent is the entries' count ${S} (${how})` : `indexed only through ${slot.P}: its extent is ${S} (${how})`;
    }
    arg(slot.P).values = {
      kind: slot.kind,
      bound: Poly.v(S),
      from: slot.kind === 'csr_rowptr' ? `CSR row pointers: from 0 up to ${S} entries (${how})` : `values index ${slot.arrays[0]} (extent ${S}, ${how})`,
    };
  }

  // Integer arrays read as input (declared const, or used as indices) need contents the verifier can draw.
  for (const P of intArrays) arg(P).needsValues = arg(P).isConst || accesses.some((x) => x.through === P) || !accesses.some((x) => x.array === P && x.write);
  // 1- and 2-byte integer data (pixels, quantised weights) neither indexing nor bounding a loop: any value of its type.
  for (const P of intArrays) {
    const t = intType(pointers.find((p) => p.name === P)!);
    const index = accesses.some((x) => x.through === P || x.csr === P);
    if (arg(P).needsValues && !arg(P).values && t && t.bytes <= 2 && !index)
      arg(P).values = { kind: 'range', lo: t.min, bound: Poly.const(t.max), from: `${t.ctype} data (read as values, not as indices): any value of its type, [${t.min}, ${t.max}]` };
  }
  // Run it, once every such array's contents can be drawn.
  const unknown = intArrays.filter((P) => arg(P).needsValues && !arg(P).values);
  let traceWhy: string | undefined = unknown.length ? `it indexes through the integer array${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}, whose contents kloop does not know` : undefined;
  // Their contents at a size: indices drawn in range; row pointers rising evenly from 0 to the count.
  const contents = (s: Size) =>
    new Map(
      intArrays
        .filter((P) => arg(P).values)
        .map((P) => {
          const v = arg(P).values!;
          const bound = Math.max(1, v.bound.evaluate(s));
          if (v.kind === 'range') return [P, (i: number) => v.lo! + (((i * 2654435761) >>> 0) % (bound - v.lo! + 1))] as const;
          if (v.kind === 'index') return [P, (i: number) => Math.floor((((i * 2654435761) >>> 0) % 10007) * (bound / 10007))] as const;
          const rows = Math.max(1, (shapes.get(P)?.ok ? (shapes.get(P) as { shape: Poly[] }).shape[0].evaluate(s) : 2) - 1);
          return [P, (i: number) => Math.floor((Math.min(i, rows) * bound) / rows)] as const;
        }),
    );
  const traces = new Map<string, Trace>();
  const trace = (s: Size): Trace => {
    const k = JSON.stringify(s);
    if (!traces.has(k)) traces.set(k, traceKernel(fn, helpers, s, real, macros, contents(s)));
    return traces.get(k)!;
  };
  let flopsFit: Fit | undefined;
  const distinct = new Map<string, Fit | undefined>();
  if (!traceWhy) {
    try {
      flopsFit = fitPolynomial((s) => trace(s).flops, sizes);
      for (const p of pointers)
        distinct.set(
          p.name,
          fitPolynomial((s) => trace(s).arrays.get(p.name)?.distinct ?? 0, sizes),
        );
    } catch (e) {
      if (!(e instanceof InterpError)) throw e;
      traceWhy = `kloop could not run it to count: ${e.message}`;
    }
  }
  const traced = [...traces.values()];

  for (const p of pointers) {
    const a = arg(p.name);
    const writes = accesses.some((x) => x.array === p.name && x.write);
    // Role: what running it showed; else the syntax (const, or never written).
    if (a.isConst) a.role = 'in';
    else if (traced.length && !traceWhy) {
      const ts = traced.map((t) => t.arrays.get(p.name)!);
      a.role = !ts.some((t) => t.written) ? 'in' : ts.some((t) => t.readsInput) ? 'inout' : 'out';
    } else if (!writes && !escapes.has(p.name)) a.role = 'in';
    else if (!accesses.some((x) => x.array === p.name && !x.write) && !escapes.has(p.name)) a.role = 'out';
    else a.roleWhy = `${p.name} is ${escapes.get(p.name) ?? 'both read and written'}, and whether it reads its input before writing it could not be decided (${traceWhy ?? 'not run'})`;
    // Shape: from the index expressions, checked against the largest index the run touched.
    const s = shapes.get(p.name)!;
    if (s.ok) {
      const over = traced.find((t, i) => {
        const at = [...traces.keys()][i];
        const need = (t.arrays.get(p.name)?.maxIndex ?? -1) + 1;
        return s.shape.reduce((n, d) => n * d.evaluate(JSON.parse(at) as Size), 1) < need;
      });
      if (!over) {
        a.shape = s.shape.map((d) => d.toString(sizes));
        a.shapePoly = s.shape;
        a.shapeFrom = a.shapeNote ? undefined : declaredShape.has(p.name) ? 'declaration' : 'indices';
      } else a.shapeWhy = `the shape read from its indices is smaller than what the kernel touched when run`;
    } else a.shapeWhy = s.why;
    if (!a.shape && !traceWhy) {
      const fit = fitPolynomial((z) => (trace(z).arrays.get(p.name)?.maxIndex ?? -1) + 1, sizes);
      if (fit?.exact && fit.poly.evaluate(Object.fromEntries(sizes.map((z) => [z, 1]))) > 0) {
        a.shape = [fit.poly.toString(sizes)];
        a.shapePoly = [fit.poly];
        a.shapeFrom = 'largest index';
      }
    }
  }

  const signature = `void ${fn.name}(${fn.params
    .map((p) => {
      if (!p.ptr) return `${INT_TYPE.test(p.type) ? words(p.type) : 'real'} ${p.name}`;
      const a = args.find((x) => x.name === p.name)!;
      const c = a.role === 'in' || a.isConst ? 'const ' : '';
      const type = a.integer
        ? words(p.type)
            .replace(/\b(static|inline)\b/g, '')
            .trim()
        : 'real';
      // An array parameter keeps its declarator (the body indexes it as declared): `real A[restrict M][N]`.
      if (p.declared) {
        const quals = p.ptr.replace(/^\*/, '').trim();
        // An extent over the file's constant macros (`A[N][N]`, `#define N 100`) is written as its value: target.yaml knows only the sizes.
        const extent = (d: Expr) => (macroUse(d, constants) ? (polyOf(d, constants)?.toString(sizes) ?? printExpr(d)) : printExpr(d));
        return `${c}${type} ${p.name}${p.declared.map((d, k) => `[${k === 0 && quals ? quals + (d ? ' ' : '') : ''}${d ? extent(d) : ''}]`).join('')}`;
      }
      return `${c}${type} *${p.name}`;
    })
    .join(', ')})`;

  const fitText = (f: Fit | undefined, what: string): { text?: string; why?: string } => {
    if (traceWhy) return { why: `the ${what} could not be counted: ${traceWhy}` };
    if (!f) return { why: `the ${what} counted at small sizes do not follow a polynomial of the sizes (they depend on the data?)` };
    if (!f.exact) return { why: `the ${what} fitted at small sizes (${f.poly.toString(sizes)}) miss a size they were not fitted on by ${(100 * f.error).toFixed(1)}% (they depend on the data?)` };
    return { text: f.poly.toString(sizes) };
  };
  const flops = fitText(flopsFit, 'operations');
  const bytes = bytesOf(pointers, args, distinct, real, sizes, traceWhy);
  return {
    fn: fn.name,
    real,
    signature,
    sizes,
    scalars,
    scalarGuesses: guessScalars(fn, helpers, scalars),
    args,
    flops: flops.text,
    realWhy: realOrWhy !== real ? `${fn.name}'s arrays mix float and double; kloop computes a target in one precision` : undefined,
    flopsWhy: flops.why,
    bytes: bytes.text,
    bytesWhy: bytes.why,
    source: referenceText(source, fn, real, signature),
    flopsPoly: flops.text ? flopsFit?.poly : undefined,
    bytesPoly: bytes.poly,
  };
}

const paren = (t: string) => (/[+-]/.test(t.replace(/^-/, '')) ? `(${t})` : t);

/**
 * Bytes: each array's distinct elements touched, times its element size. An array touched whole is
 * written as its shape (`(H + R - 1)*(W + S - 1)`), any other as its fitted count.
 */
function bytesOf(pointers: Param[], args: InferredArg[], distinct: Map<string, Fit | undefined>, real: 'float' | 'double', sizes: string[], traceWhy?: string): { text?: string; why?: string; poly?: Poly } {
  if (traceWhy) return { why: `the distinct elements could not be counted: ${traceWhy}` };
  const groups = new Map<number, string[]>();
  let total = Poly.const(0);
  for (const p of pointers) {
    const a = args.find((x) => x.name === p.name)!;
    const whole = a.shapePoly?.reduce((m, d) => m.mul(d), Poly.const(1));
    const wholeText = a.shapePoly?.map((d) => paren(d.toString(sizes))).join('*');
    let f = distinct.get(p.name);
    // Touched where the data says (gathered through an index array): counted as the whole array.
    if ((!f || !f.exact) && whole && a.shapeNote) f = { poly: whole, exact: true, error: 0, points: 0 };
    if (!f || !f.exact) return { why: `the elements of ${p.name} the kernel touches do not follow a polynomial of the sizes (they depend on the data?)` };
    if (!f.poly.terms.size) continue;
    const term = whole?.equals(f.poly) ? wholeText! : paren(f.poly.toString(sizes));
    const b = byteSize(p, real);
    groups.set(b, [...(groups.get(b) ?? []), term]);
    total = total.add(f.poly.scale(b));
  }
  if (!groups.size) return { why: 'the kernel touches no array element' };
  const text = [...groups].map(([b, terms]) => (terms.length === 1 ? `${b}*${terms[0]}` : `${b}*(${terms.join(' + ')})`)).join(' + ');
  return { text, poly: total };
}

/**
 * Sizes the kernel uses nowhere: in no shape read from its indices, and in its body only as
 * `(void)m;` (gather's m: the extent of what it gathers from).
 */
function freeSizes(fn: Func, sizes: string[], shapes: Poly[]): string[] {
  const used = new Set(shapes.flatMap((p) => [...p.vars()]));
  const body = { ...fn.body, body: fn.body.body.filter((st) => !(st.k === 'expr' && st.e.k === 'cast' && st.e.type === 'void' && st.e.arg.k === 'id')) };
  forEachExpr(body, (e) => {
    if (e.k === 'id') used.add(e.name);
  });
  return sizes.filter((s) => !used.has(s));
}

/** Does an expression name one of the macros? */
function macroUse(e: Expr, constants: ReadonlyMap<string, unknown>): boolean {
  let hit = false;
  forEachExpr({ k: 'expr', e }, (x) => {
    if (x.k === 'id' && constants.has(x.name)) hit = true;
  });
  return hit;
}
