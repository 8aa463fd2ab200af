import { INT_TYPES, isRealSpelling, type IntType } from './ctypes.js';
import { evalExpr, symbolsOf, type Expr } from './expr.js';
import type { TargetYaml } from './schema.js';
import type { SignatureParam } from './signature.js';
import type { ArrayParam, IntValues, Param, ScalarParam, Size } from './target.js';

type Fail = (key: string, msg: string) => never;

/**
 * The precision: `real:` where given (every `float`/`double` the signature spells must agree),
 * else the one the signature spells, else float.
 */
export function precisionOf(y: TargetYaml, sig: SignatureParam[], fail: Fail): 'float' | 'double' {
  const spelled = sig.filter((p) => p.type === 'float' || p.type === 'double');
  if (y.real) {
    const other = spelled.find((p) => p.type !== y.real);
    if (other) fail('signature', `parameter "${other.name}" is ${other.type} but the target's precision is ${y.real} (real: ${y.real}); spell it real or ${y.real}, or set real: ${other.type}`);
    return y.real;
  }
  const kinds = new Set(spelled.map((p) => p.type));
  if (kinds.size > 1) fail('signature', 'mixes float and double parameters; a target has one precision (spell them real, float or double, all alike)');
  return (spelled[0]?.type as 'float' | 'double' | undefined) ?? 'float';
}

/** Build the typed parameters from the signature and the yaml's args and scalars. */
export function buildParams(y: TargetYaml, sig: SignatureParam[], real: 'float' | 'double', fail: Fail, expr: (key: string, text: string) => Expr): Param[] {
  const pointers = sig.filter((p) => p.pointer).map((p) => p.name);
  const scalarNames = sig.filter((p) => !p.pointer && isRealSpelling(p.type)).map((p) => p.name);
  for (const name of Object.keys(y.args)) if (!pointers.includes(name)) fail(`args.${name}`, `no pointer parameter "${name}" in the signature`);
  for (const name of Object.keys(y.scalars)) if (!scalarNames.includes(name)) fail(`scalars.${name}`, `no scalar ${real} parameter "${name}" in the signature (scalars: lists "real NAME" / "${real} NAME" parameters)`);
  return sig.map((p): Param => {
    if (!p.pointer && !isRealSpelling(p.type)) {
      const int = INT_TYPES[p.type];
      if (int.bytes < 4) fail('signature', `size parameter "${p.name}" is ${p.type}; a size is int, long, size_t, int64_t... (${p.type} is for arrays)`);
      return { kind: 'size', name: p.name, int };
    }
    if (!p.pointer) return scalarParam(y, p.name, real, fail);
    const a = y.args[p.name];
    if (!a) return fail('args', `pointer parameter "${p.name}" needs an entry: ${p.name}: { shape: [...], role: in|out|inout }`);
    const spelled = isRealSpelling(p.type) ? 'real' : p.type;
    if (p.isConst && a.role !== 'in') fail(`args.${p.name}.role`, `"${a.role}" but the signature declares it const`);
    if (!p.isConst && a.role === 'in') fail(`args.${p.name}.role`, `"in" arrays must be declared "const ${spelled} *${p.name}" in the signature`);
    const shapeText = arrayShape(p, a.shape, fail, expr);
    const arr: ArrayParam = { kind: 'array', name: p.name, role: a.role, shapeText, shape: shapeText.map((s, i) => expr(a.shape ? `args.${p.name}.shape[${i}]` : 'signature', s)) };
    if (isRealSpelling(p.type)) {
      if (a.values) fail(`args.${p.name}.values`, `only integer arrays take values: (${p.name} is an array of ${real})`);
      return arr;
    }
    arr.int = INT_TYPES[p.type];
    if (a.values) arr.values = intValues(a.values, `args.${p.name}.values`, fail, expr);
    else if (a.role !== 'out') fail(`args.${p.name}`, `integer input arrays need values: one of { csr_rowptr: TOTAL }, { index: BOUND } (values in [0, BOUND)), { range: [LO, HI] }, over the size parameters`);
    if (arr.values?.kind === 'csr_rowptr' && arr.shape.length !== 1) fail(`args.${p.name}.shape`, 'a csr_rowptr array is one-dimensional (its shape is [ROWS + 1])');
    return arr;
  });
}

/**
 * An array's shape: `args.NAME.shape`, or the extents its declarator gives (`real A[M][N]`). Where
 * both are given, the extents after the first (which fix the layout) must be the same functions
 * of the sizes.
 */
function arrayShape(p: SignatureParam, shape: string[] | undefined, fail: Fail, expr: (key: string, text: string) => Expr): string[] {
  const dims = p.dims;
  const key = `args.${p.name}.shape`;
  if (!shape) {
    if (!dims) return fail(key, `missing: give the array's extents over the size parameters, e.g. shape: [N] (or declare them in the signature: ${p.name}[N])`);
    if (dims[0] === '') return fail(key, `missing: ${p.name}[] leaves its first extent out, so give shape: [ROWS${dims.length > 1 ? ', ' + dims.slice(1).join(', ') : ''}]`);
    return dims;
  }
  if (!dims || dims.length === 1) return shape;
  const declared = `${p.name}${dims.map((d) => `[${d}]`).join('')}`;
  if (shape.length !== dims.length) fail(key, `has ${shape.length} extents but the signature declares ${declared}; give [${dims.map((d, i) => (i === 0 && !d ? 'ROWS' : d)).join(', ')}] or leave shape out`);
  for (let i = 1; i < dims.length; i++) {
    const a = expr(key, shape[i]);
    const b = expr('signature', dims[i]);
    if (!sameFunction(a, b)) fail(`${key}[${i}]`, `"${shape[i]}" but the signature declares ${declared} (the extents after the first fix the layout); make them agree or leave shape out`);
  }
  return shape;
}

/** Two extents agree as functions of the sizes (compared at a fixed spread of sizes). */
function sameFunction(a: Expr, b: Expr): boolean {
  const symbols = [...new Set([...symbolsOf(a), ...symbolsOf(b)])];
  for (let k = 0; k < 12; k++) {
    const z = Object.fromEntries(symbols.map((s, j) => [s, 1 + ((k * 37 + j * 61 + k * j * 13) % 97)]));
    if (evalExpr(a, z) !== evalExpr(b, z)) return false;
  }
  return true;
}

function scalarParam(y: TargetYaml, name: string, real: 'float' | 'double', fail: Fail): ScalarParam {
  const s = y.scalars[name];
  const key = `scalars.${name}`;
  if (!s) return fail('scalars', `scalar parameter "${name}" needs an entry: ${name}: { value: V } (fixed) or ${name}: { range: [LO, HI] } (the verifier draws; timed runs use bench: V, default HI)`);
  if ((s.value === undefined) === (s.range === undefined)) fail(key, 'give exactly one of value: V (fixed) or range: [LO, HI] (drawn)');
  const fits = (v: number) => Number.isFinite(v) && (real === 'double' || Math.abs(v) <= 3.4e38);
  if (s.value !== undefined) {
    if (!fits(s.value)) fail(`${key}.value`, `${s.value} is not a finite ${real}`);
    if (s.bench !== undefined && s.bench !== s.value) fail(`${key}.bench`, 'a fixed value is also the bench value (leave bench out)');
    return { kind: 'scalar', name, value: { fixed: s.value }, bench: s.value };
  }
  const [lo, hi] = s.range!;
  if (!fits(lo) || !fits(hi) || !(lo < hi)) fail(`${key}.range`, `[${lo}, ${hi}] is not a range of finite ${real} values with LO < HI`);
  const bench = s.bench ?? hi;
  if (!(bench >= lo && bench <= hi)) fail(`${key}.bench`, `${bench} is outside the range [${lo}, ${hi}]`);
  return { kind: 'scalar', name, value: { range: [lo, hi] }, bench };
}

function intValues(v: NonNullable<TargetYaml['args'][string]['values']>, key: string, fail: Fail, expr: (key: string, text: string) => Expr): IntValues {
  const given = Object.entries(v).filter(([, x]) => x !== undefined);
  if (given.length !== 1) fail(key, 'give exactly one of csr_rowptr: TOTAL, index: BOUND, range: [LO, HI]');
  if (v.csr_rowptr !== undefined) return { kind: 'csr_rowptr', total: expr(`${key}.csr_rowptr`, v.csr_rowptr), text: `csr_rowptr: ${v.csr_rowptr}` };
  if (v.index !== undefined) return { kind: 'index', bound: expr(`${key}.index`, v.index), text: `index: ${v.index}` };
  const [lo, hi] = v.range!;
  return { kind: 'range', lo: expr(`${key}.range[0]`, lo), hi: expr(`${key}.range[1]`, hi), text: `range: [${lo}, ${hi}]` };
}

/** The bounds an integer array's values take at a size, or why they make no sense there. */
export function valueBounds(a: ArrayParam, size: Size): { lo: number; hi: number } | string {
  const v = a.values;
  const t: IntType = a.int!;
  if (!v) return { lo: t.min, hi: t.max };
  let lo: number;
  let hi: number;
  if (v.kind === 'csr_rowptr') {
    lo = 0;
    hi = evalExpr(v.total, size);
    if (!(hi >= 0)) return `${v.text} is ${hi}, negative`;
  } else if (v.kind === 'index') {
    lo = 0;
    hi = evalExpr(v.bound, size) - 1;
    if (!(hi >= 0)) return `${v.text} is ${hi + 1}: no index fits [0, ${hi + 1})`;
  } else {
    lo = evalExpr(v.lo, size);
    hi = evalExpr(v.hi, size);
    if (!(lo <= hi)) return `${v.text} is [${lo}, ${hi}], empty`;
  }
  if (lo < t.min || hi > t.max) return `${v.text} reaches [${lo}, ${hi}], outside ${t.ctype}`;
  return { lo, hi };
}

/** Do the size-parameter types hold this value? */
export function sizeFits(p: { int: IntType }, v: number): boolean {
  return v >= Math.max(0, p.int.min) && v <= p.int.max;
}

/** The signature's integer types agree (by the type LP64 gives them: int64_t is long, size_t unsigned long). */
export function sameIntType(a: string, b: string): boolean {
  const norm: Record<string, string> = { int32_t: 'int', uint32_t: 'unsigned', int64_t: 'long', ptrdiff_t: 'long', uint64_t: 'unsigned long', size_t: 'unsigned long' };
  return (norm[a] ?? a) === (norm[b] ?? b);
}
