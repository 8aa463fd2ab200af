import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, configErrorFromZod, packageRoot, UserError } from '../common/index.js';
import { evalExpr, exprToC, parseExpr, symbolsOf, type Expr } from './expr.js';
import { DEFAULT_TARGET_FLAGS, FLAG_ALLOW_LIST, REASSOCIATING_FLAGS } from './flags.js';
import { targetSchema } from './schema.js';
import { isRealSpelling } from './ctypes.js';
import { buildParams, precisionOf, sizeFits, valueBounds } from './params.js';
import { parseSignature } from './signature.js';
import { definitionMismatch } from './spelling.js';
import type { ArrayParam, ScalarParam, Size, SizeParam, Target } from './target.js';

/** Folder of the targets shipped with kloop. */
export const CATALOG_DIR = join(packageRoot(), 'targets', 'catalog');

/** At most this many elements, all arrays together, at a check size or a size the verifier picks (the oracle keeps 16 bytes each). */
const MAX_CHECK_ELEMENTS = 2 ** 26;
/** At most this many bytes of arrays at the bench size. */
const MAX_BENCH_BYTES = 2 ** 31;
/** Source files larger than this are not kernels. */
const MAX_SOURCE_BYTES = 4 << 20;

/** Names a parameter may not have: C and C++ keywords, `real`, and the names of the generated harness's `main`. */
const RESERVED_NAMES = new Set(
  (
    'auto break case char const continue default do double else enum extern float for goto if inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while ' +
    '_Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert _Thread_local bool true false ' +
    'alignas alignof and and_eq asm bitand bitor catch char16_t char32_t char8_t class compl concept consteval constexpr constinit const_cast co_await co_return co_yield decltype delete dynamic_cast explicit export friend mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public reinterpret_cast requires static_assert static_cast template this thread_local throw try typeid typename using virtual wchar_t xor xor_eq ' +
    'real main argc argv mode poison min_ms max_reps in_path second in out times reps total t0 t1 min_reps NULL stdin stdout stderr errno ' +
    'fopen fclose fread fwrite fprintf printf snprintf strchr strcmp strtoul atoi atof malloc free calloc realloc memcpy memset memcmp exit abort size_t uint32_t uint64_t uint8_t int64_t'
  ).split(' '),
);

/** A file's text, or one line saying why it cannot be read (a folder, a device, too large). */
function readTextFile(path: string, key: string, yamlFile = path): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new ConfigError(yamlFile, key === 'target.yaml' ? '' : key, `${path} cannot be read: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!st.isFile()) throw new ConfigError(yamlFile, key === 'target.yaml' ? '' : key, `${path} is not a regular file`);
  if (st.size > MAX_SOURCE_BYTES) throw new ConfigError(yamlFile, key === 'target.yaml' ? '' : key, `${path} is ${st.size} bytes, too large`);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(yamlFile, key === 'target.yaml' ? '' : key, `${path} cannot be read: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Load and validate one target folder. Any problem is one ConfigError naming file and key. */
export function loadTarget(dir: string): Target {
  dir = resolve(dir);
  const file = join(dir, 'target.yaml');
  if (!existsSync(file)) throw new UserError(`${dir}: not a target folder (no target.yaml)`);
  let raw: unknown;
  try {
    raw = parseYaml(readTextFile(file, 'target.yaml'));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new ConfigError(file, '', `invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = targetSchema.safeParse(raw ?? {});
  if (!parsed.success) throw configErrorFromZod(file, targetSchema, parsed.error);
  const y = parsed.data;
  const fail = (key: string, msg: string): never => {
    throw new ConfigError(file, key, msg);
  };

  const sig = parseSignature(y.signature);
  if (typeof sig === 'string') fail('signature', sig);
  const { fn, params: sigParams } = sig as Exclude<typeof sig, string>;
  sigParams.forEach((p, i) => {
    if (sigParams.findIndex((q) => q.name === p.name) !== i) fail('signature', `parameter "${p.name}" appears twice`);
    if (p.name === fn) fail('signature', `parameter "${p.name}" has the function's name`);
    if (RESERVED_NAMES.has(p.name) || /^(kl_|KL_|n_|__)/.test(p.name)) fail('signature', `parameter "${p.name}" is a C/C++ keyword or a name kloop's harness uses; rename it`);
  });
  if (RESERVED_NAMES.has(fn) || /^(kl_|KL_|__)/.test(fn)) fail('signature', `"${fn}" is a C/C++ keyword or a name kloop's harness uses; rename the function`);
  const real = precisionOf(y, sigParams, fail);
  const sizeSymbols = sigParams.filter((p) => !p.pointer && !isRealSpelling(p.type)).map((p) => p.name);

  const expr = (key: string, text: string): Expr => {
    let e: Expr;
    try {
      e = parseExpr(text);
    } catch (err) {
      return fail(key, (err as Error).message);
    }
    for (const s of symbolsOf(e)) if (!sizeSymbols.includes(s)) fail(key, `"${s}" is not an int parameter of the signature (${sizeSymbols.join(', ')})`);
    return e;
  };

  const params = buildParams(y, sigParams, real, fail, expr);
  const sizeParams = params.filter((p): p is SizeParam => p.kind === 'size');
  const arrays = params.filter((p): p is ArrayParam => p.kind === 'array');
  const scalars = params.filter((p): p is ScalarParam => p.kind === 'scalar');
  if (!arrays.some((a) => a.role !== 'in')) fail('args', 'at least one argument must have role out or inout');

  const checkSize = (key: string, s: Size, maxElements = MAX_CHECK_ELEMENTS): Size => {
    for (const k of Object.keys(s)) if (!sizeSymbols.includes(k)) fail(key, `unknown size symbol "${k}" (the signature has ${sizeSymbols.join(', ')})`);
    for (const k of sizeSymbols) if (s[k] === undefined) fail(key, `missing size symbol "${k}"`);
    for (const p of sizeParams) if (!sizeFits(p, s[p.name])) fail(key, `${p.name} = ${s[p.name]} does not fit the kernel's ${p.int.ctype} parameter (at most ${p.int.max})`);
    checkExtents(key, s, 'at this size', maxElements);
    return s;
  };
  /** Every extent a positive integer, integer arrays' values possible, and the arrays of a reasonable size (kloop holds them in memory, the oracle in double). */
  const checkExtents = (key: string, s: Size, where: string, maxElements = MAX_CHECK_ELEMENTS): void => {
    let total = 0;
    for (const a of arrays) {
      let n = 1;
      for (const d of a.shape) {
        const x = evalExpr(d, s);
        if (!Number.isSafeInteger(x) || x <= 0) fail(key, `array ${a.name} would have a non-positive or non-integer extent (${x}) ${where}`);
        n *= x;
      }
      total += n;
      const b = a.int ? valueBounds(a, s) : undefined;
      if (typeof b === 'string') fail(`args.${a.name}.values`, `${b} ${where}`);
      if (a.values?.kind === 'csr_rowptr' && n === 1 && b && typeof b !== 'string' && b.hi > 0) fail(`args.${a.name}.values`, `${a.values.text} is ${b.hi} but ${a.name} has one element (no rows to hold the entries) ${where}`);
    }
    if (!(total <= maxElements)) fail(key, `the arrays would hold ${total} elements ${where}, more than kloop checks (${maxElements}); use smaller sizes`);
  };
  const checkSizes = y.sizes.check.map((s, i) => checkSize(`sizes.check[${i}]`, s));
  const benchSize = checkSize('sizes.bench', y.sizes.bench, Math.floor(MAX_BENCH_BYTES / (real === 'float' ? 4 : 8)));
  for (const k of Object.keys(y.sizes.limits)) if (!sizeSymbols.includes(k)) fail(`sizes.limits.${k}`, 'not a size symbol');
  const limits: Target['limits'] = {};
  for (const s of sizeSymbols) limits[s] = y.sizes.limits[s] ?? { min: 1, max: 4096 };
  for (const p of sizeParams) {
    if (limits[p.name].min > limits[p.name].max) fail(`sizes.limits.${p.name}`, `min ${limits[p.name].min} is above max ${limits[p.name].max}`);
    if (!sizeFits(p, limits[p.name].max)) fail(`sizes.limits.${p.name}.max`, `does not fit the kernel's ${p.int.ctype} parameter (at most ${p.int.max})`);
  }
  // The verifier picks its own sizes within the limits: the arrays must make sense at both ends.
  const corner = (end: 'min' | 'max'): Size => Object.fromEntries(sizeSymbols.map((s) => [s, limits[s][end]]));
  checkExtents('sizes.limits', corner('min'), `at the smallest sizes the verifier may pick (${JSON.stringify(corner('min'))}); raise the limits' min`);
  checkExtents('sizes.limits', corner('max'), `at the largest sizes the verifier may pick (${JSON.stringify(corner('max'))}); set sizes.limits.<symbol>.max`);

  const flags = y.allow.flags ?? DEFAULT_TARGET_FLAGS.concat(y.allow.reassociation ? ['-ffast-math'] : []);
  flags.forEach((f, i) => {
    if (!(FLAG_ALLOW_LIST as readonly string[]).includes(f)) fail(`allow.flags[${i}]`, `"${f}" is not an allowed flag (allowed: ${FLAG_ALLOW_LIST.join(' ')})`);
    if (REASSOCIATING_FLAGS.has(f) && !y.allow.reassociation) fail(`allow.flags[${i}]`, `"${f}" reorders arithmetic: set allow.reassociation: true to permit it`);
  });

  const referencePath = join(dir, y.reference);
  if (!existsSync(referencePath)) fail('reference', `file ${referencePath} not found`);
  const referenceSource = readTextFile(referencePath, 'reference', file);
  if (!new RegExp(`\\b${fn}\\s*\\(`).test(referenceSource)) fail('reference', `${y.reference} does not define ${fn}()`);
  const mismatch = definitionMismatch(referenceSource, fn, sigParams, real);
  if (mismatch) fail('reference', `${y.reference} does not define ${fn} with the signature of target.yaml: ${mismatch}`);

  // The CUDA side: declared under cuda:, or found as reference.cu (and starter.cu) in the folder.
  let cuda: Target['cuda'];
  const cudaRef = join(dir, y.cuda?.reference ?? 'reference.cu');
  if (y.cuda && !existsSync(cudaRef)) fail('cuda.reference', `file ${cudaRef} not found`);
  if (existsSync(cudaRef)) {
    const src = readTextFile(cudaRef, 'cuda.reference', file);
    if (!new RegExp(`\\b${fn}\\s*\\(`).test(src)) fail('cuda.reference', `${cudaRef} does not define ${fn}()`);
    const starterPath = join(dir, y.cuda?.starter ?? 'starter.cu');
    if (y.cuda?.starter && !existsSync(starterPath)) fail('cuda.starter', `file ${starterPath} not found`);
    const starterSource = existsSync(starterPath) ? readTextFile(starterPath, 'cuda.starter', file) : undefined;
    if (starterSource !== undefined && !new RegExp(`\\b${fn}\\s*\\(`).test(starterSource)) fail('cuda.starter', `${starterPath} does not define ${fn}()`);
    cuda = { referencePath: cudaRef, referenceSource: src, starterPath: starterSource === undefined ? undefined : starterPath, starterSource, promote: y.cuda?.promote ?? 'kernel.cu' };
  }

  const flops = expr('flops', y.flops);
  const bytes = expr('bytes', y.bytes);
  for (const [key, e] of [
    ['flops', flops],
    ['bytes', bytes],
  ] as const) {
    const v = evalExpr(e, benchSize);
    if (!Number.isFinite(v) || v < 0 || (key === 'bytes' && v === 0)) fail(key, `is ${v} at the bench size; expected a ${key === 'bytes' ? 'positive' : 'non-negative'} finite number`);
  }

  return {
    name: y.name,
    description: y.description,
    dir,
    file,
    signature: y.signature.trim(),
    fn,
    real,
    params,
    sizeSymbols,
    arrays,
    scalars,
    checkSizes,
    benchSize,
    limits,
    flops,
    bytes,
    flopsText: y.flops,
    bytesText: y.bytes,
    allow: { flags, reassociation: y.allow.reassociation },
    tolerance: y.tolerance,
    nondeterministic: y.nondeterministic,
    referencePath,
    referenceSource,
    promote: y.promote,
    cuda,
  };
}

/** The target's reference in a device's language: reference.c, or reference.cu on a GPU (one line when there is none). */
export function referenceSource(t: Target, language: 'c' | 'cuda'): string {
  if (language === 'c') return t.referenceSource;
  if (!t.cuda) throw new UserError(`${t.dir}: no reference.cu, so target ${t.name} cannot run on a CUDA device; add a CUDA reference or leave the target out`);
  const unsupported = cudaUnsupported(t);
  if (unsupported) throw new UserError(`${t.file}: target ${t.name} ${unsupported}`);
  return t.cuda.referenceSource;
}

/** Names of the shipped targets. */
export function catalogNames(catalogDir = CATALOG_DIR): string[] {
  if (!existsSync(catalogDir)) return [];
  return readdirSync(catalogDir)
    .filter((n) => existsSync(join(catalogDir, n, 'target.yaml')))
    .sort();
}

/** A shipped target's name, or the path of any target folder. */
export function resolveTarget(nameOrPath: string, catalogDir = CATALOG_DIR): Target {
  const asPath = resolve(nameOrPath);
  if (existsSync(asPath) && statSync(asPath).isDirectory()) return loadTarget(asPath);
  const shipped = join(catalogDir, nameOrPath);
  if (existsSync(join(shipped, 'target.yaml'))) return loadTarget(shipped);
  throw new UserError(`target "${nameOrPath}": no such folder and no shipped target of that name (shipped: ${catalogNames(catalogDir).join(', ')})`);
}

/** Element count of an array at a size. */
export function elementCount(a: ArrayParam, size: Size): number {
  return a.shape.reduce((n, d) => n * evalExpr(d, size), 1);
}

/** Each array's element count as a C expression over the size parameters (as the harness computes it; array-section reductions name it). */
export function arrayLengthsC(t: Pick<Target, 'arrays'>): Record<string, string> {
  return Object.fromEntries(t.arrays.map((a) => [a.name, a.shape.map(exprToC).join(' * ')]));
}

/** Why the CUDA harness cannot run a target (it takes int sizes and arrays of real only), or undefined. */
export function cudaUnsupported(t: Pick<Target, 'params'>): string | undefined {
  const p = t.params.find((q) => (q.kind === 'size' && q.int.ctype !== 'int') || q.kind === 'scalar' || (q.kind === 'array' && q.int));
  if (!p) return undefined;
  const what = p.kind === 'size' ? `a ${p.int.ctype} size (${p.name})` : p.kind === 'scalar' ? `a scalar parameter (${p.name})` : `an integer array (${p.name})`;
  return `has ${what}, which the CUDA harness does not support yet: run it on the CPU (device: cpu) or leave it out of this run`;
}
