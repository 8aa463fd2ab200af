import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, UserError } from '../common/index.js';
import type { Device } from '../devices/index.js';
import { describeExit } from '../sandboxes/index.js';
import { elemBytes, evalExpr, loadTarget, type Target } from '../targets/index.js';
import { makeInputs, referenceBuildError, referenceRunError, type Verifier } from '../verifiers/index.js';
import { inferTarget, type Inferred } from './infer.js';
import { renameParam } from './rename.js';
import { benchStart, checkSizes, elements, footprint, MAX_BENCH_ELEMENTS, MAX_ORACLE_BYTES, oracleBytes, scaleSize, sizeLimits, sizeRoles, workAt, type Size, type SizingModel } from './sizes.js';
import { targetYaml, todosOf, type Todo } from './target-yaml.js';

export interface InitOptions {
  /** The C file, and the function in it (default: the only one no other calls). */
  file: string;
  fn?: string;
  /** The target folder to write (default: ./NAME). */
  out?: string;
  cwd: string;
  /** The device and the gate the target's checks run on (kloop's own, as `kloop verify` builds them). */
  device: Device;
  verifier: Verifier;
  /** Scratch space for builds and the check plan (removed afterwards). */
  workDir: string;
  /** Progress lines (the CLI prints them). */
  say?: (line: string) => void;
  /** The bench size's wanted time per call (default 0.1–1 s, aiming at 0.3 s). */
  bench?: { lowMs: number; highMs: number; aimMs: number };
}

export interface InitResult {
  dir: string;
  inferred: Inferred;
  todos: Todo[];
  /** The one thing to fix before `kloop run` (undefined: ready). */
  problem?: string;
  bench?: Size;
  benchMs?: number;
  checks: Size[];
}

/** A file's text, or one line saying why not. */
function readSource(file: string): string {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UserError(`${file}: no such file`);
  }
  if (!st.isFile()) throw new UserError(`${file}: not a regular file`);
  if (st.size > 1 << 22) throw new UserError(`${file}: ${st.size} bytes, too large for a kernel`);
  return readFileSync(file, 'utf8');
}

/**
 * `kloop init`: write a target folder from a C file (reference.c and an inferred target.yaml),
 * then measure a bench size by running the reference and run the target's own checks (the build,
 * the oracle at the check sizes and sizes the verifier picks, the refusal of degenerate targets).
 */
export async function initTarget(o: InitOptions): Promise<InitResult> {
  const file = resolve(o.cwd, o.file);
  const inferred = await withoutClashes(o, inferTarget(file, readSource(file), o.fn));
  const dir = resolve(o.cwd, o.out ?? inferred.fn);
  if (existsSync(join(dir, 'target.yaml'))) throw new UserError(`${dir}: already holds a target.yaml; choose another folder with --out, or remove it`);
  mkdirSync(dir, { recursive: true });
  const todos = todosOf(inferred);
  const shaped = inferred.args.filter((a) => a.shapePoly);
  const model: SizingModel = {
    symbols: inferred.sizes,
    extents: shaped.map((a) => a.shapePoly!),
    elementBytes: shaped.map((a) => a.bytes),
    outputs: shaped.map((a) => a.role !== 'in'),
    work: inferred.flopsPoly?.terms.size ? inferred.flopsPoly : inferred.bytesPoly,
  };
  const checks = checkSizes(model);
  const limits = sizeLimits(model);
  const from = o.file;
  const write = (bench: Size, benchNote: string) => writeFileSync(join(dir, 'target.yaml'), targetYaml({ name: inferred.fn, from, inferred, check: checks, bench, benchNote, limits }));
  writeFileSync(join(dir, 'reference.c'), inferred.source);
  const provisional = checks.at(-1) ?? Object.fromEntries(inferred.sizes.map((s) => [s, 64]));
  write(provisional, UNMEASURED);
  const result: InitResult = { dir, inferred, todos, checks };
  if (todos.length) {
    // A reference that does not compile is the first thing to fix, TODOs or not.
    const broken = await compileProblem(o, dir, readFileSync(join(dir, 'target.yaml'), 'utf8'));
    return { ...result, problem: broken ?? `${join(dir, 'target.yaml')}: ${todos[0].key}: ${todos[0].why}` };
  }

  const checked = await measureAndCheck(o, dir, model);
  return { ...result, ...checked };
}

/** The bench line kloop init leaves when it could not measure (the target did not load yet). */
const UNMEASURED = 'TODO: not measured yet (kloop init DIR measures it once the TODOs are resolved)';

/**
 * Measure the bench size (when target.yaml's bench line says it is not measured yet) and run the
 * target's checks: the one thing to fix, or nothing.
 */
async function measureAndCheck(o: InitOptions, dir: string, model: SizingModel | ((t: Target) => SizingModel)): Promise<{ problem?: string; bench?: Size; benchMs?: number }> {
  const say = o.say ?? (() => undefined);
  let measured: { size: Size; ms: number } | undefined;
  try {
    let target = loadTarget(dir);
    const yaml = readFileSync(target.file, 'utf8');
    if (yaml.includes(UNMEASURED)) {
      const m = typeof model === 'function' ? model(target) : model;
      say(`measuring a bench size: the reference timed at growing sizes (aiming at ${o.bench?.aimMs ?? 300} ms a call)`);
      const start = benchStart(m);
      const roles = sizeRoles(m, start);
      const { size, ms, capped } = await measureBench(o, target, m, start, roles);
      const why = { cap: ' (at the largest size kloop init picks: 256 MB or 2^26 elements of arrays, 128 MB of oracle outputs)', fixed: ' (the kernel has no sizes to grow)', none: '' };
      const held = roles.steps.filter((k) => size[k] === start[k]);
      const stepsNote = roles.steps.length
        ? `; ${roles.steps.join(', ')} ${roles.steps.length > 1 ? 'are counts' : 'is a count'} of steps no array grows with, ${held.length === roles.steps.length ? 'held' : 'grown only once the arrays reached the cap'}, ${roles.data.join(', ')} scaled`
        : '';
      const note = `measured: the reference takes ${ms.toFixed(ms < 10 ? 1 : 0)} ms a call on this machine${why[capped ?? 'none']}${stepsNote}`;
      writeFileSync(target.file, yaml.replace(/^( {2}bench: ).*$/m, `$1${sizeText(size)}   # ${note}`));
      target = loadTarget(dir);
      measured = { size, ms };
      say(`bench size ${JSON.stringify(size)}: ${ms.toFixed(0)} ms a call`);
    }
    say(`running the target's checks: the oracle at ${target.checkSizes.length} check sizes and sizes the verifier picks, degenerate outputs`);
    await o.verifier.prepare(target, 0x5eed, join(o.workDir, 'plan'));
    return { bench: measured?.size, benchMs: measured?.ms };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { problem: e.message.split('\n')[0], bench: measured?.size, benchMs: measured?.ms };
  } finally {
    rmSync(join(o.workDir, 'plan'), { recursive: true, force: true });
  }
}

/**
 * `kloop init DIR`: a folder kloop init wrote, once its TODOs are replaced: measure its bench size
 * (if it was not) and run its checks.
 */
export async function recheckTarget(o: Omit<InitOptions, 'file' | 'fn' | 'out'> & { dir: string }): Promise<{ dir: string; problem?: string; bench?: Size; benchMs?: number }> {
  const dir = resolve(o.cwd, o.dir);
  const model = (t: Target): SizingModel => ({
    symbols: t.sizeSymbols,
    extents: t.arrays.map((a) => a.shape.map((e) => ({ evaluate: (s: Size) => evalExpr(e, s) }))),
    elementBytes: t.arrays.map((a) => elemBytes(t, a)),
    outputs: t.arrays.map((a) => a.role !== 'in'),
    work: { evaluate: (s: Size) => evalExpr(t.flops, s) || evalExpr(t.bytes, s) },
  });
  return { dir, ...(await measureAndCheck({ ...o, file: dir }, dir, model)) };
}

const sizeText = (s: Size) =>
  `{${Object.entries(s)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')}}`;

/** Time the reference at sizes scaled until a call takes lowMs–highMs (a few tries). */
const BENCH_BYTES = 2 ** 28;

async function measureBench(o: InitOptions, target: Target, model: SizingModel, start: Size, roles: { data: string[]; steps: string[] }): Promise<{ size: Size; ms: number; capped?: 'cap' | 'fixed' }> {
  const want = o.bench ?? { lowMs: 100, highMs: 1000, aimMs: 300 };
  const work = join(o.workDir, 'bench');
  mkdirSync(work, { recursive: true });
  const b = await o.device.build({ target, source: target.referenceSource, flags: [], workDir: work });
  if (!b.ok) throw new UserError(inReference(referenceBuildError(target, b.log, 'baseline').message));
  // At most 256 MB of arrays: a run keeps the bench input, its oracle (in double, with error bounds) and outputs in memory.
  let size = start;
  let best: { size: Size; ms: number } | undefined;
  for (let attempt = 0; attempt < 8; attempt++) {
    const input = join(work, 'bench.in');
    writeFileSync(input, makeInputs(target, size, 1, 'uniform', { bench: true }).bytes);
    const r = await o.device.time({ binary: b.binary!, target, size, input, minMs: 1, maxReps: 3, workDir: work, timeoutMs: 120_000 });
    rmSync(input, { force: true });
    if (!r.ok) throw referenceRunError(target, size, describeExit(r.run), r.run.stderr, 'baseline');
    const ms = [...r.timesNs].sort((x, y) => x - y)[r.timesNs.length >> 1] / 1e6;
    best = { size, ms };
    if (ms >= want.lowMs && ms <= want.highMs) return best;
    const ratio = want.aimMs / Math.max(ms, 1e-4);
    // Growing: the data first, the steps only for what the data cannot give (it reached the cap).
    // Shrinking: the steps first, back to where they started, then the data.
    const grown = roles.steps.filter((k) => size[k] > start[k]);
    const first = ratio < 1 && grown.length ? grown : roles.data;
    let next = scaleSize(model, size, ratio, BENCH_BYTES, first);
    if (first !== roles.data) next = Object.fromEntries(Object.entries(next).map(([k, v]) => [k, grown.includes(k) ? Math.max(v, start[k]) : v]));
    const got = workAt(model, next) / Math.max(1e-9, workAt(model, size));
    const rest = ratio / got;
    if (ratio > 1 && got < ratio * 0.8 && roles.steps.length) next = scaleSize(model, next, rest, BENCH_BYTES, roles.steps);
    else if (ratio < 1 && first !== roles.data && got > ratio * 1.25) next = scaleSize(model, next, rest, BENCH_BYTES, roles.data);
    // rounding kept it where it was: one step further
    if (JSON.stringify(next) === JSON.stringify(size)) next = scaleSize(model, size, ms < want.lowMs ? 1.3 : 0.7, BENCH_BYTES);
    if (JSON.stringify(next) === JSON.stringify(size)) break;
    size = next;
  }
  // As large as init makes a bench size (or the kernel has no sizes): the reference is fast even there.
  if (best && best.ms < want.lowMs)
    return {
      ...best,
      capped: !model.symbols.length ? 'fixed' : footprint(model, best.size) * 2 >= BENCH_BYTES || elements(model, best.size) * 2 >= MAX_BENCH_ELEMENTS || oracleBytes(model, best.size) * 2 >= MAX_ORACLE_BYTES ? 'cap' : undefined,
    };
  throw new UserError(`${target.file}: sizes.bench: no size found where the reference takes ${want.lowMs}–${want.highMs} ms (last: ${best?.ms.toFixed(1)} ms at ${JSON.stringify(best?.size)}); set sizes.bench by hand`);
}

/**
 * Does reference.c compile with kloop's harness? Built from a copy of target.yaml whose TODOs are
 * stood in for (shape [1], flops 1…): one line naming reference.c when it does not; undefined when
 * it does, or when even the stand-in does not load (the TODOs come first then).
 */
async function compileProblem(o: InitOptions, dir: string, yaml: string): Promise<string | undefined> {
  const scratch = join(o.workDir, 'compile');
  mkdirSync(scratch, { recursive: true });
  writeFileSync(join(scratch, 'target.yaml'), standIn(yaml));
  writeFileSync(join(scratch, 'reference.c'), readFileSync(join(dir, 'reference.c')));
  let target: Target;
  try {
    target = loadTarget(scratch);
  } catch {
    return undefined;
  }
  const b = await o.device.build({ target, source: target.referenceSource, flags: [], workDir: join(scratch, 'build') });
  return b.ok ? undefined : inReference(referenceBuildError({ ...target, referencePath: join(dir, 'reference.c') }, b.log, 'baseline').message);
}

/** target.yaml with its TODOs stood in for (shape [1], flops 1…), so that what else it says can be loaded and built. */
function standIn(yaml: string): string {
  return yaml
    .replace(/shape: \[TODO\]/g, 'shape: [1]')
    .replace(/^(\s*)(\w+): \{ shape: (\[[^\]]*\]), role: TODO/gm, (_m, sp: string, name: string, shape: string) => `${sp}${name}: { shape: ${shape}, role: ${new RegExp(`const [\\w ]+\\*${name}\\b`).test(yaml) ? 'in' : 'inout'}`)
    .replace(/, values: TODO/g, '')
    .replace(/^(flops|bytes): TODO$/gm, '$1: 1')
    .replace(/^real: TODO$/m, 'real: float')
    .replace(/^(\s+\w+): TODO$/gm, '$1: { value: 1 }');
}

/**
 * A pointer or scalar parameter named like something kloop's harness uses (`in`, `out`, `total`…)
 * is renamed (`in_`), as the loader would otherwise ask the user to; a size parameter is left for
 * the loader to name (its name is in shapes and counts too).
 */
async function withoutClashes(o: InitOptions, inferred: Inferred): Promise<Inferred> {
  const scratch = join(o.workDir, 'names');
  mkdirSync(scratch, { recursive: true });
  for (let guard = 0; guard < 16; guard++) {
    const yaml = targetYaml({
      name: inferred.fn,
      from: o.file,
      inferred,
      check: [Object.fromEntries(inferred.sizes.map((s) => [s, 1]))],
      bench: Object.fromEntries(inferred.sizes.map((s) => [s, 1])),
      benchNote: '',
      limits: { min: 1, max: 8 },
    });
    writeFileSync(join(scratch, 'target.yaml'), standIn(yaml));
    writeFileSync(join(scratch, 'reference.c'), inferred.source);
    try {
      loadTarget(scratch);
      return inferred;
    } catch (e) {
      const name = e instanceof ConfigError && e.key === 'signature' ? /^parameter "([A-Za-z_]\w*)" is a C\/C\+\+ keyword or a name kloop's harness uses/.exec(e.problem)?.[1] : undefined;
      if (!name || inferred.sizes.includes(name)) return inferred;
      const taken = new Set([...inferred.sizes, ...inferred.scalars, ...inferred.args.map((a) => a.name)]);
      let to = `${name}_`;
      while (taken.has(to)) to += '_';
      inferred = renameParam(inferred, name, to);
    }
  }
  return inferred;
}

/** The compiler names the file it compiled (kernel.c, a copy of reference.c): say reference.c. */
const inReference = (message: string) => message.replace(/: kernel\.c:(\d+)/, ': reference.c:$1');
