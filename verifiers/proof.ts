import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildResult, Device } from '../devices/index.js';
import { describeExit } from '../sandboxes/index.js';
import { shortHash } from '../common/index.js';
import { asCxxSource, asRealSpelling, evalExpr, type Size, type Target } from '../targets/index.js';
import { generateProofHarness } from './proof-harness.js';
import { symbolicHeader } from './symbolic-header.js';
import { sizeofReal } from './sizeof-real.js';
import type { SizeAnalysis } from './size-paths.js';

export interface ProofResult {
  /** proved: equal normal forms at every size; inapplicable: the method does not decide;
   *  disproved: a pure polynomial differs (a different function over the reals). */
  status: 'proved' | 'inapplicable' | 'disproved';
  reason: string;
  sizes: Size[];
  ms: number;
}

const INTRINSICS = /\b(_mm\d*_\w+|__m(64|128|256|512)[di]?|vld1q?_\w+|vst1q?_\w+|float32x4_t|svfloat32_t)\b/;

function gcd(a: number, b: number): number {
  return b ? gcd(b, a % b) : a;
}

/** Largest period of residues the proof covers jointly, and largest grid side. */
const MAX_PERIOD = 64;

/**
 * Sizes for the proof: every dimension over 1..U jointly (a full grid), where U covers one whole
 * period of residues (the least common multiple of the kernel's constants, from the preprocessed
 * source) above every threshold the kernel compares a size with, plus the size-path sizes. The
 * proof then speaks for every size-dependent path, or it does not apply.
 */
export function proofSizes(t: Target, analysis: SizeAnalysis, pathSizes: Size[], budget: number): { sizes: Size[]; period: number } | { tooBig: string } {
  const factors = new Set<number>(analysis.periods);
  const residues = [...factors].filter((f) => f >= 2);
  let period = 1;
  for (const f of residues) {
    if (f > 1e6) return { tooBig: `covering the residues of ${f} needs sizes beyond ${f}` };
    period = (period * f) / gcd(period, f);
    if (period > MAX_PERIOD) return { tooBig: `covering the residues of ${[...factors].sort((a, b) => a - b).join(', ')} jointly needs a period of ${period}+ in every dimension (above ${MAX_PERIOD})` };
  }
  const thresholds = analysis.paths.filter((p) => p.kind === 'cmp').map((p) => Math.max(...p.values));
  const top = Math.max(8, period + 1, ...thresholds) + period;
  // Counted before it is built: a threshold on a side's own scale (N*N > 1e21) would make axes of
  // billions of values (red team 4: the gate's process aborted).
  const cells = t.sizeSymbols.reduce((n, s) => n * Math.max(0, top - t.limits[s].min + 1), 1);
  if (!(cells <= 1e6)) return { tooBig: `a joint grid over ${t.sizeSymbols.join(', ')} up to ${top} has ${cells.toExponential(1)} sizes` };
  const axes = t.sizeSymbols.map((s) => {
    const out: number[] = [];
    for (let v = t.limits[s].min; v <= top; v++) out.push(v);
    return out;
  });
  const sizes: Size[] = [];
  const rec = (i: number, z: Size) => {
    if (i === t.sizeSymbols.length) return void sizes.push({ ...z });
    for (const v of axes[i]) rec(i + 1, { ...z, [t.sizeSymbols[i]]: v });
  };
  rec(0, {});
  const seen = new Set(sizes.map((z) => JSON.stringify(z)));
  for (const z of pathSizes) if (!seen.has(JSON.stringify(z))) (sizes.push(z), seen.add(JSON.stringify(z)));
  const work = sizes.reduce((w, z) => w + Math.max(1, evalExpr(t.flops, z)), 0);
  if (work > budget)
    return {
      tooBig: `covering every residue of period ${period} jointly${thresholds.length ? ` and the thresholds up to ${Math.max(...thresholds)}` : ''} needs every size up to ${top} in each of ${t.sizeSymbols.join(', ')} (${work.toExponential(1)} symbolic operations, bound ${budget.toExponential(1)})`,
    };
  return { sizes, period };
}

export interface ProofBuilds {
  ref: BuildResult;
  cand: BuildResult;
}

const safe = (p: Promise<BuildResult>) => p.catch((e: Error): BuildResult => ({ ok: false, log: e.message, ms: 0 }));

/**
 * The reference over the symbolic type (cached by the device: built once per target, with the
 * symbolic header and the harness every candidate's proof build shares). Never rejects.
 */
export function buildReferenceProof(device: Device, t: Target, workDir: string): Promise<BuildResult> {
  return safe(device.buildProof({ target: t, source: asCxxSource(t.referenceSource, t.real), workDir, name: 'reference', harness: generateProofHarness(t), header: symbolicHeader(t.real) }));
}

/** Build the reference and the candidate over the symbolic type (started early, so the compiles overlap the tests). Never rejects. */
export function startProofBuilds(device: Device, t: Target, source: string, workDir: string, flags?: string[]): Promise<ProofBuilds> {
  const harness = generateProofHarness(t);
  const ref = buildReferenceProof(device, t, workDir);
  const cand = safe(device.buildProof({ target: t, source: asCxxSource(source, t.real), workDir, name: 'candidate', harness, header: symbolicHeader(t.real), flags }));
  return Promise.all([ref, cand]).then(([r, c]) => ({ ref: r, cand: c }));
}

type SymbolicRun = { r: Awaited<ReturnType<Device['runTool']>>; lines: string[] };

/**
 * The reference's symbolic normal forms, kept per size for each reference proof binary (its path
 * names its content hash): candidates of one target share most of their proof sizes, so the
 * reference runs only at the sizes no earlier candidate needed. Bounded (64 MB of text per binary,
 * 8 binaries); a run that fails or stops as inapplicable is not kept.
 */
export class ReferenceProofRuns {
  private readonly forms = new Map<string, { lines: Map<string, string>; chars: number }>();
  /** Per target (see `proofTargetKey`): why its reference's symbolic run stopped, when that holds at every size. */
  private readonly dataDependent = new Map<string, string>();

  /**
   * Why no candidate of this target can be proved, once its reference's symbolic run has stopped
   * for a reason its data, not its size, gives (it branches on an input value, or converts one to
   * a number): every later candidate's proof would stop there too, so its proof build is skipped.
   */
  knownInapplicable(target: Target): string | undefined {
    return this.dataDependent.get(proofTargetKey(target));
  }

  noteReference(target: Target, why: string): void {
    if (DATA_DEPENDENT.includes(why)) this.dataDependent.set(proofTargetKey(target), why);
  }

  async get(binary: string, sizes: string[], run: (sizes: string[]) => Promise<SymbolicRun>): Promise<SymbolicRun> {
    let known = this.forms.get(binary);
    if (!known) {
      known = { lines: new Map(), chars: 0 };
      this.forms.set(binary, known);
      while (this.forms.size > 8) this.forms.delete(this.forms.keys().next().value!);
    }
    const missing = [...new Set(sizes.filter((z) => !known.lines.has(z)))];
    if (!missing.length) return { r: { exitCode: 0, signal: null, timedOut: false, stdout: '', stderr: '', truncated: false, wallMs: 0 }, lines: sizes.map((z) => known.lines.get(z)!) };
    const fresh = await run(missing);
    if (fresh.r.exitCode !== 0 || fresh.lines.length !== missing.length || fresh.lines.at(-1)?.startsWith('INAPPLICABLE')) return missing.length === sizes.length ? fresh : run(sizes);
    const got = new Map(missing.map((z, i) => [z, fresh.lines[i]]));
    for (const [z, line] of got) {
      if (known.chars > 64 << 20) break;
      known.lines.set(z, line);
      known.chars += line.length;
    }
    return { r: fresh.r, lines: sizes.map((z) => known.lines.get(z) ?? got.get(z)!) };
  }
}

/** memcpy-family calls, unions, casts to a pointer of an integer type (or of any type, of an address), and sizeof of a character literal. */
const BIT_LEVEL =
  /\b(__builtin_)?(memcpy|memmove|memcmp|memset|bcopy)\s*\(|\bunion\b|\(\s*(const\s+)?((unsigned|signed)(\s+(char|short|int|long))*|char|short|int|long|u?int\d+_t|uintptr_t)(\s+const)?\s*\*+\s*\)|\(\s*(const\s+)?(void|float|double)(\s+const)?\s*\*+\s*\)\s*&|\bsizeof\s*\(?\s*'/;

/**
 * A pointer turned into an integer: a cast to uintptr_t, intptr_t or ptrdiff_t anywhere, or any
 * integer cast of an array parameter or of an address (`&…`). The matched text, or undefined.
 */
export function addressAsNumber(source: string, arrays: string[]): string | undefined {
  const intType = '(const\\s+)?((unsigned|signed)(\\s+(char|short|int|long))*|char|short|int|long(\\s+long)?|size_t|u?int\\d+_t|u?intptr_t|ptrdiff_t)';
  const named = /\(\s*(const\s+)?(u?intptr_t|ptrdiff_t)\s*\)/.exec(source);
  if (named) return named[0];
  const names = arrays.map((a) => a.replace(/[^A-Za-z0-9_]/g, '')).filter(Boolean);
  // (an element, X[i], is a value: not an address)
  const re = new RegExp(`\\(\\s*${intType}\\s*\\)\\s*\\(?\\s*(&|(${names.join('|') || '(?!)'})\\b(?!\\s*\\[))`);
  return re.exec(source)?.[0];
}

const BASIC_TYPE = /^\s*\(\s*(const\s+)?((unsigned|signed)\s+)?(char|short|int|long(\s+long)?|float|double|size_t|ptrdiff_t|u?int\d+_t)(\s+int)?\s*(\*\s*)?\)/;
const DIALECT =
  /\b(__typeof__|__typeof|typeof|__alignof__|__alignof|_Alignof|alignof|offsetof|__builtin_offsetof|_Generic|__builtin_types_compatible_p|__builtin_classify_type|__builtin_constant_p|__builtin_object_size|__builtin_dynamic_object_size|struct|auto|abs|labs|llabs|__FILE__|__BASE_FILE__|__FILE_NAME__|__LINE__|__COUNTER__|__INCLUDE_LEVEL__|__DATE__|__TIME__|__TIMESTAMP__)\b/;

/**
 * A construct whose value C and C++ (or the two builds' optimisation levels, or their file names)
 * may give differently, in comment-free source, or undefined: `sizeof` of anything but a basic
 * scalar type, typeof and alignof, structs (an empty one's size, bit-fields), `auto`, `abs` (int in
 * C, overloaded in C++), __builtin_constant_p and object sizes, and the file and line macros.
 */
export function cDialectDifference(source: string): string | undefined {
  const code = source.replace(/"(\\.|[^"\\])*"/g, '""');
  const m = DIALECT.exec(code);
  if (m) return `\`${m[1]}\``;
  for (const s of code.matchAll(/\bsizeof\b/g)) if (!BASIC_TYPE.test(code.slice(s.index! + 6))) return '`sizeof` of something other than a basic scalar type';
  return undefined;
}

/**
 * Why the bounded proof cannot speak for a target at all, or undefined: integer arrays hold data
 * (index structures) the proof would fix to one instance, so it would not cover the others; the
 * verdict is then `tested`. (Scalars are symbolic variables there, like array elements.)
 */
export function proofUncovered(t: Pick<Target, 'arrays'>): string | undefined {
  const ints = t.arrays.filter((a) => a.int);
  if (!ints.length) return undefined;
  return `its integer arrays (${ints.map((a) => a.name).join(', ')}) hold index data the bounded proof does not range over (it would prove one index structure, not all): tested only`;
}

/**
 * What the proof would cover, or why it does not apply, decided before anything is built (so no
 * proof build is started for a candidate the proof cannot speak for).
 */
export function proofPlan(t: Target, source: string, o: { analysis: SizeAnalysis; pathSizes: Size[]; budget?: number; flags?: string[] }): { sizes: Size[]; period: number } | { inapplicable: string } {
  const uncovered = proofUncovered(t);
  if (uncovered) return { inapplicable: uncovered };
  if (INTRINSICS.test(source)) return { inapplicable: 'uses SIMD intrinsics, which the symbolic type does not model' };
  // The proof's symbolic type has no bits: copying a value's bytes (memcpy, a union, a pointer cast
  // to another type) reads something else there than in the C build, and so does a character
  // literal's size (int in C, char in C++). A kernel that decided on those was proved wrong.
  const stripped = source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
  const bits = BIT_LEVEL.exec(stripped);
  if (bits) return { inapplicable: `reads values at the level of their bits or bytes (${bits[0].trim()}), which the proof's symbolic type does not model: tested only` };
  // An address used as a number (alignment tests, pointer bits): the proof runs the kernel at one set
  // of addresses, so a path taken only at others is not covered (a sum that sampled 1 element in 64
  // when its input started at a page offset of 0x10 was proved).
  const address = addressAsNumber(
    stripped,
    t.arrays.map((a) => a.name),
  );
  if (address) return { inapplicable: `uses an address as a number (${address.trim()}): the proof runs at one set of addresses, so paths taken at others are not covered: tested only` };
  // The C build defines _OPENMP exactly when -fopenmp is among its flags; unknown flags cannot match it.
  if (o.flags === undefined && /\b_OPENMP\b/.test(source)) return { inapplicable: "tests _OPENMP, and the proof was not given the build's flags to define it the same way: tested only" };
  // The precision's own keyword is real there too (asRealSpelling): sizeof(float) in a float target is sizeof(real).
  const size = sizeofReal(asRealSpelling(source, t.real));
  if (size) return { inapplicable: `takes the size of real or of a value of its type (line ${size.line}), which differs in the proof build (real is a symbolic C++ type there): tested only` };
  // The proof reads the kernel as C++; the build that is checked and timed is C. Where the two
  // languages give one text different values (red team 5: sizeof an empty struct is 0 in C and 1 in
  // C++, __alignof__('a') 4 and 1, __typeof__('a') int and char, a 40-bit bit-field's x + 1 wraps in
  // C only, auto x = 1.5 is an int in C, abs(2.5) is 2 in C), or the compilers' optimisation levels
  // do (__builtin_constant_p, object sizes), or the file's name does, it would prove another program.
  const dialect = cDialectDifference(stripped);
  if (dialect) return { inapplicable: `uses ${dialect}, whose value can differ between the C build and the proof's C++ reading of it: tested only` };
  const sweep = o.analysis.sweeps[0];
  if (sweep) return { inapplicable: `compares a recursion's parameter with a constant (\`${sweep.text}\`, line ${sweep.line}), where it crosses is no modelled function of the sizes: tested along a sweep of sizes, not proved` };
  const plan = proofSizes(t, o.analysis, o.pathSizes, o.budget ?? 3e6);
  return 'tooBig' in plan ? { inapplicable: plan.tooBig } : plan;
}

/**
 * One output element of a proof run (proof-harness.ts): the hash of its normal form, of that form
 * with constants rounded, and of its floating-point tree, then "u" where uninterpreted functions
 * appear and "x" where it was scaled by a constant far from 1 (neither a hex digit).
 */
function outputForm(token: string | undefined): { poly: string; shape: string; tree: string; uninterpreted: boolean; extreme: boolean } | undefined {
  if (!token) return undefined;
  const [poly, shape = '', rest = ''] = token.split(':');
  const marks = rest.slice(16);
  return { poly, shape, tree: rest.slice(0, 16), uninterpreted: marks.includes('u'), extreme: marks.includes('x') };
}

/** Reasons a reference's symbolic run stops (symbolic-header.ts) that come from what it does with its data, at any size. */
const DATA_DEPENDENT = ['a branch depends on a symbolic value', 'a symbolic value is converted to a number'];

const proofTargetKey = (t: Target) => shortHash(t.name, t.real, t.referenceSource);

/** Bounded proof of equality over the reals: reference and candidate over the symbolic type. */
export async function boundedProof(
  device: Device,
  t: Target,
  source: string,
  workDir: string,
  o: {
    analysis: SizeAnalysis;
    pathSizes: Size[];
    budget?: number;
    builds?: Promise<ProofBuilds>;
    /** The candidate's flags (the same as given to startProofBuilds). */ flags?: string[];
    /** Shared across candidates: the reference's runs are computed once per sizes. */ referenceRuns?: ReferenceProofRuns;
  },
): Promise<ProofResult> {
  const t0 = performance.now();
  const done = (status: ProofResult['status'], reason: string, sizes: Size[] = []): ProofResult => ({ status, reason, sizes, ms: performance.now() - t0 });
  const plan = proofPlan(t, source, o);
  if ('inapplicable' in plan) return done('inapplicable', plan.inapplicable);
  const { ref, cand } = await (o.builds ?? startProofBuilds(device, t, source, workDir, o.flags));
  if (!ref.ok) return done('inapplicable', 'the reference does not build over the symbolic type');
  if (!cand.ok) {
    const first =
      cand.log
        .split('\n')
        .find((l) => /error/.test(l))
        ?.trim()
        .slice(0, 200) ?? '';
    return done('inapplicable', `does not build over the symbolic type (${first})`);
  }
  const sizeLines = plan.sizes.map((z) => t.sizeSymbols.map((s) => z[s]).join(' '));
  // Each run in its own folder: the two run at once, and a sandboxed run owns the folder it runs in.
  const run = async (binary: string, name: string, sizes: string[]): Promise<SymbolicRun> => {
    const dir = join(workDir, name);
    mkdirSync(dir, { recursive: true });
    const sizesFile = join(dir, 'proof-sizes.txt');
    writeFileSync(sizesFile, sizes.join('\n') + '\n');
    const out = join(dir, 'proof.out');
    const r = await device.runTool({ binary, args: [sizesFile, out], workDir: dir, timeoutMs: 20_000 });
    return { r, lines: r.exitCode === 0 ? readFileSync(out, 'utf8').trim().split('\n') : [] };
  };
  // Both symbolic runs at once (the reference's mostly from the cache).
  const refRun = o.referenceRuns ? o.referenceRuns.get(ref.binary!, sizeLines, (sizes) => run(ref.binary!, 'reference', sizes)) : run(ref.binary!, 'reference', sizeLines);
  const candRun = run(cand.binary!, 'candidate', sizeLines);
  const [a, b] = await Promise.all([refRun, candRun]);
  if (a.r.timedOut) return done('inapplicable', 'the symbolic evaluation of the reference ran out of time');
  if (a.r.exitCode !== 0) return done('inapplicable', `the reference's proof run failed (${describeExit(a.r)})`);
  if (a.lines.at(-1)?.startsWith('INAPPLICABLE')) {
    const why = a.lines.at(-1)!.slice(13);
    o.referenceRuns?.noteReference(t, why);
    return done('inapplicable', `the reference: ${why}`);
  }
  if (b.r.timedOut) return done('inapplicable', 'the symbolic evaluation of the candidate ran out of time');
  if (b.r.exitCode !== 0) return done('inapplicable', `the candidate's proof run failed (${describeExit(b.r)})`);
  if (b.lines.at(-1)?.startsWith('INAPPLICABLE')) return done('inapplicable', b.lines.at(-1)!.slice(13));
  // Without reassociation the target's outputs must round as the reference's do: equal over the
  // reals is not enough (x*2^100*2^-100 is x there, and inf where |x| >= 2^28 in floats).
  const sameRounding = !t.allow.reassociation;
  let otherOps: { i: number; at: string } | undefined;
  let extremeAt: { i: number; at: string } | undefined;
  for (let i = 0; i < plan.sizes.length; i++) {
    if (a.lines[i] !== undefined && a.lines[i] === b.lines[i]) continue;
    const ra = a.lines[i]?.split(' ') ?? [];
    const rb = b.lines[i]?.split(' ') ?? [];
    const n = t.sizeSymbols.length;
    for (let k = n; k < Math.max(ra.length, rb.length); k++) {
      if (ra[k] === rb[k]) continue;
      const size = plan.sizes[i];
      const fa = outputForm(ra[k]);
      const fb = outputForm(rb[k]);
      if (fa && fb && fa.poly === fb.poly && fa.shape === fb.shape && fa.uninterpreted === fb.uninterpreted) {
        const at = `${JSON.stringify(size)}, output element ${k - n}`;
        // Equal over the reals, other floating-point operations.
        if (sameRounding && fa.tree !== fb.tree) otherOps ??= { i, at };
        if (fb.extreme && !fa.extreme) extremeAt ??= { i, at };
        continue;
      }
      // Equal up to the rounding of constants (0.2 against 0.2f): not a different function, not proved either.
      if (fa && fb && fa.shape === fb.shape) return done('inapplicable', `normal forms differ only in the rounding of constants at ${JSON.stringify(size)}, output element ${k - n}: tested only`, plan.sizes.slice(0, i));
      // Two different polynomials are different functions over the reals: a disproof.
      if (fa && fb && !fa.uninterpreted && !fb.uninterpreted) return done('disproved', `a different polynomial of the inputs at ${JSON.stringify(size)}, output element ${k - n}`, plan.sizes.slice(0, i));
      return done('inapplicable', `normal forms differ at ${JSON.stringify(size)}, output element ${k - n} (equal functions in another form cannot be decided here)`, plan.sizes.slice(0, i));
    }
  }
  if (extremeAt)
    return done(
      'inapplicable',
      `equal over the reals, but scaled by a constant outside [2^-24, 2^24] where the reference is not (first at ${extremeAt.at}): it may overflow or underflow in floats where the reference does not, which a proof over the reals does not see: tested only`,
      plan.sizes.slice(0, extremeAt.i),
    );
  if (otherOps)
    return done(
      'inapplicable',
      `equal over the reals, but by other floating-point operations than the reference's (first at ${otherOps.at}), and ${t.name} allows no reassociation, so rounding, overflow and special values may differ: tested only`,
      plan.sizes.slice(0, otherOps.i),
    );
  const omp = /#\s*pragma\s+omp/.test(source) ? '; OpenMP loops shown free of races by data-sharing analysis, so any order of their iterations computes the same' : '';
  const covered = o.analysis.paths.length ? ` and both sides of its ${o.analysis.paths.length} size-dependent boundaries` : '';
  const what = sameRounding ? "the same floating-point operations as the reference's (up to a+b = b+a and the like), so equal over the reals and in rounding," : 'equal over the reals';
  return done('proved', `${what} at ${plan.sizes.length} sizes covering every residue of period ${plan.period} jointly in ${t.sizeSymbols.join(', ')}${covered} (from the preprocessed source)${omp}`, plan.sizes);
}
