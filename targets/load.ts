import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, configErrorFromZod, packageRoot, UserError } from '../common/index.js';
import { evalExpr, parseExpr, symbolsOf, type Expr } from './expr.js';
import { DEFAULT_TARGET_FLAGS, FLAG_ALLOW_LIST, REASSOCIATING_FLAGS } from './flags.js';
import { targetSchema } from './schema.js';
import { parseSignature } from './signature.js';
import type { ArrayParam, Param, Size, Target } from './target.js';

/** Folder of the targets shipped with kloop. */
export const CATALOG_DIR = join(packageRoot(), 'targets', 'catalog');

/** Load and validate one target folder. Any problem is one ConfigError naming file and key. */
export function loadTarget(dir: string): Target {
  dir = resolve(dir);
  const file = join(dir, 'target.yaml');
  if (!existsSync(file)) throw new UserError(`${dir}: not a target folder (no target.yaml)`);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
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
  const sizeSymbols = sigParams.filter((p) => !p.pointer).map((p) => p.name);
  const pointerNames = sigParams.filter((p) => p.pointer).map((p) => p.name);

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

  for (const name of Object.keys(y.args)) if (!pointerNames.includes(name)) fail(`args.${name}`, `no pointer parameter "${name}" in the signature`);
  const params: Param[] = sigParams.map((p) => {
    if (!p.pointer) return { kind: 'size', name: p.name };
    const a = y.args[p.name];
    if (!a) return fail('args', `pointer parameter "${p.name}" needs an entry: ${p.name}: { shape: [...], role: in|out|inout }`);
    if (p.isConst && a.role !== 'in') fail(`args.${p.name}.role`, `"${a.role}" but the signature declares it const`);
    if (!p.isConst && a.role === 'in') fail(`args.${p.name}.role`, `"in" arrays must be declared "const real *${p.name}" in the signature`);
    return { kind: 'array', name: p.name, role: a.role, shapeText: a.shape, shape: a.shape.map((s, i) => expr(`args.${p.name}.shape[${i}]`, s)) };
  });
  const arrays = params.filter((p): p is ArrayParam => p.kind === 'array');
  if (!arrays.some((a) => a.role !== 'in')) fail('args', 'at least one argument must have role out or inout');

  const checkSize = (key: string, s: Size): Size => {
    for (const k of Object.keys(s)) if (!sizeSymbols.includes(k)) fail(key, `unknown size symbol "${k}" (the signature has ${sizeSymbols.join(', ')})`);
    for (const k of sizeSymbols) if (s[k] === undefined) fail(key, `missing size symbol "${k}"`);
    for (const a of arrays)
      if (a.shape.some((d) => evalExpr(d, s) <= 0)) fail(key, `array ${a.name} would have a non-positive extent at this size`);
    return s;
  };
  const checkSizes = y.sizes.check.map((s, i) => checkSize(`sizes.check[${i}]`, s));
  const benchSize = checkSize('sizes.bench', y.sizes.bench);
  for (const k of Object.keys(y.sizes.limits)) if (!sizeSymbols.includes(k)) fail(`sizes.limits.${k}`, 'not a size symbol');
  const limits: Target['limits'] = {};
  for (const s of sizeSymbols) limits[s] = y.sizes.limits[s] ?? { min: 1, max: 4096 };

  const flags = y.allow.flags ?? DEFAULT_TARGET_FLAGS.concat(y.allow.reassociation ? ['-ffast-math'] : []);
  flags.forEach((f, i) => {
    if (!(FLAG_ALLOW_LIST as readonly string[]).includes(f)) fail(`allow.flags[${i}]`, `"${f}" is not an allowed flag (allowed: ${FLAG_ALLOW_LIST.join(' ')})`);
    if (REASSOCIATING_FLAGS.has(f) && !y.allow.reassociation) fail(`allow.flags[${i}]`, `"${f}" reorders arithmetic: set allow.reassociation: true to permit it`);
  });

  const referencePath = join(dir, y.reference);
  if (!existsSync(referencePath)) fail('reference', `file ${referencePath} not found`);
  const referenceSource = readFileSync(referencePath, 'utf8');
  if (!new RegExp(`\\b${fn}\\s*\\(`).test(referenceSource)) fail('reference', `${y.reference} does not define ${fn}()`);

  // The CUDA side: declared under cuda:, or found as reference.cu (and starter.cu) in the folder.
  let cuda: Target['cuda'];
  const cudaRef = join(dir, y.cuda?.reference ?? 'reference.cu');
  if (y.cuda && !existsSync(cudaRef)) fail('cuda.reference', `file ${cudaRef} not found`);
  if (existsSync(cudaRef)) {
    const src = readFileSync(cudaRef, 'utf8');
    if (!new RegExp(`\\b${fn}\\s*\\(`).test(src)) fail('cuda.reference', `${cudaRef} does not define ${fn}()`);
    const starterPath = join(dir, y.cuda?.starter ?? 'starter.cu');
    if (y.cuda?.starter && !existsSync(starterPath)) fail('cuda.starter', `file ${starterPath} not found`);
    const starterSource = existsSync(starterPath) ? readFileSync(starterPath, 'utf8') : undefined;
    if (starterSource !== undefined && !new RegExp(`\\b${fn}\\s*\\(`).test(starterSource)) fail('cuda.starter', `${starterPath} does not define ${fn}()`);
    cuda = { referencePath: cudaRef, referenceSource: src, starterPath: starterSource === undefined ? undefined : starterPath, starterSource, promote: y.cuda?.promote ?? 'kernel.cu' };
  }

  return {
    name: y.name,
    description: y.description,
    dir,
    file,
    signature: y.signature.trim(),
    fn,
    real: y.real,
    params,
    sizeSymbols,
    arrays,
    checkSizes,
    benchSize,
    limits,
    flops: expr('flops', y.flops),
    bytes: expr('bytes', y.bytes),
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
