import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng, shortHash } from '../common/index.js';
import type { Device } from '../devices/index.js';
import { describeExit } from '../sandboxes/index.js';
import { elemBytes, elementCount, inputLayout, readElem, referenceSource, type ArrayParam, type Size, type Target } from '../targets/index.js';
import { elementWrong, unflatten } from './compare.js';
import type { BenchCheck } from './verifier.js';

/**
 * The bench-size check's tolerance. At the bench size the oracle's worst-case bound (γ_n·Σ|terms|)
 * is often vacuous (n·u near or above 1 for a sum of 2^24 floats), so on its own it lets any
 * finite number through. Instead the tolerance is measured: the target's own reference, built in
 * its working precision, is run on the same bench input, and its error against the double oracle
 * sets the scale of what a legitimate kernel's rounding may do. Per output element i:
 *
 *   tol_i = min( factor·bound_i,  F · max( |ref_i − oracle_i|,  Q·bound_i,  S_i,  FLOOR·u·|oracle_i|,  T_i ) )
 *
 *   - Q: a high quantile (QUANTILE) over the array of |ref − oracle| / bound (finite bounds only):
 *     the reference's error at a typical-to-bad element, so an element where the reference happens
 *     to round luckily is not held to that luck;
 *   - S_i: for outputs with few elements (a reduction), one sample says little, so the reference
 *     and the oracle are also run on CALIBRATION_RUNS shuffles of the bench input (same values,
 *     other order) and S_i is the largest error seen at element i;
 *   - FLOOR ulps of the value, for inputs on which the reference is exact;
 *   - T_i = bound_i / F where the bound is tight (at most TIGHT_BOUND of the value): the bound there;
 *   - never above the worst-case bound: an exact element (bound 0, e.g. a transpose) must be exact.
 */
export const BENCH_FACTOR = 8;
const QUANTILE = 0.999;
const FLOOR_ULPS = 2;
/**
 * Where the worst-case bound is this tight relative to the value (a double target; a float one only
 * for short sums), the bound itself is the tolerance's floor: every evaluation order and every FMA
 * contraction lies within it, while the reference's own error can be 0 (a double reference against
 * an oracle in double), which held a reordered dgemm to 16 ulps and rejected it.
 */
const TIGHT_BOUND = 2 ** -20;
/** Outputs with fewer elements than this get calibration runs. */
const FEW_ELEMENTS = 64;
const CALIBRATION_RUNS = 8;

/** What the bench check knows about the reference's own error at the bench size. */
export interface BenchTolerance {
  /** The reference's outputs (all arrays, the target's precision) after one call on the bench input. */
  refFile: string;
  /** The QUANTILE over the output elements of |ref − oracle| / bound. */
  q: number;
  /** Per output element (out and inout arrays in order), the largest |ref − oracle| over the calibration runs. */
  sampled?: number[];
  /** F. */
  factor: number;
}

/** `maxErrorRatio`: the largest |output − oracle| / tolerance over the output elements (Infinity where an exact element is wrong). */
export type BenchCheckResult = { ok: true; maxErrorRatio: number } | { ok: false; reason: string; maxErrorRatio?: number };

const unitOf = (t: Target) => (t.real === 'float' ? 2 ** -24 : 2 ** -53);

/** Every array's element count, width and byte offsets, in the harness's OUT file and in the oracle's; `at` reads element i of it from an OUT file. */
interface Layout {
  a: ArrayParam;
  n: number;
  width: number;
  raw: number;
  oracle: number;
  first: number;
  at: (b: Buffer, i: number) => number;
  values: (b: Buffer) => ArrayLike<number>;
}

function layout(t: Target, size: Size): Layout[] {
  let raw = 0;
  let oracle = 0;
  let first = 0;
  return t.arrays.map((a) => {
    const n = elementCount(a, size);
    const width = elemBytes(t, a);
    const read = readElem(t, a);
    const base = raw;
    const at = (b: Buffer, i: number) => read(b, base + i * width);
    const l = { a, n, width, raw, oracle, first, at, values: (b: Buffer) => valuesAt(t, a, b, base, n) };
    raw += n * width;
    if (a.role !== 'in') {
      oracle += n * 16;
      first += n;
    }
    return l;
  });
}

type NumberArrayCtor = Float32ArrayConstructor | Float64ArrayConstructor | Int8ArrayConstructor | Uint8ArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor;

/** `n` elements of one array of a file, from `byteOffset`, as a typed array: a view where aligned, a copy where not (undefined for 8-byte integers). */
function typedView(t: Target, a: ArrayParam, b: Buffer, byteOffset: number, n: number): ArrayLike<number> | undefined {
  const int = a.int;
  const C: NumberArrayCtor | undefined = !int
    ? t.real === 'float'
      ? Float32Array
      : Float64Array
    : int.bytes === 1
      ? int.signed
        ? Int8Array
        : Uint8Array
      : int.bytes === 2
        ? int.signed
          ? Int16Array
          : Uint16Array
        : int.bytes === 4
          ? int.signed
            ? Int32Array
            : Uint32Array
          : undefined;
  return C && numbersAt(C, b, byteOffset, n);
}

/** `n` elements of array `a` in `b` from `byteOffset`, as numbers. */
function valuesAt(t: Target, a: ArrayParam, b: Buffer, byteOffset: number, n: number): ArrayLike<number> {
  const read = readElem(t, a);
  const width = elemBytes(t, a);
  return typedView(t, a, b, byteOffset, n) ?? Float64Array.from({ length: n }, (_, i) => read(b, byteOffset + i * width));
}

/** `n` numbers of type C in `b` from `byteOffset` (the machine is little-endian, as the files are). */
function numbersAt<T extends NumberArrayCtor>(C: T, b: Buffer, byteOffset: number, n: number): InstanceType<T> {
  const start = b.byteOffset + byteOffset;
  if (start % C.BYTES_PER_ELEMENT === 0) return new C(b.buffer as ArrayBuffer, start, n) as InstanceType<T>;
  const copy = new Uint8Array(n * C.BYTES_PER_ELEMENT);
  copy.set(b.subarray(byteOffset, byteOffset + copy.length));
  return new C(copy.buffer) as InstanceType<T>;
}

/** |ref − oracle| / bound for every output element with a finite non-zero bound, reduced to its QUANTILE (log-spaced histogram: one pass, no sort). */
function errorQuantile(t: Target, size: Size, ref: Buffer, oracle: Buffer): number {
  const BINS = 8 * 1100; // eighths of a binary order, ratios from 2^-1000 up to 2^100
  const hist = new Float64Array(BINS);
  let count = 0;
  let zeros = 0;
  for (const l of layout(t, size)) {
    if (l.a.role === 'in') continue;
    const o = numbersAt(Float64Array, oracle, l.oracle, 2 * l.n);
    const refs = l.values(ref);
    for (let i = 0; i < l.n; i++) {
      const v = o[2 * i];
      const e = o[2 * i + 1];
      const r = refs[i];
      if (!(e > 0) || !Number.isFinite(e) || !Number.isFinite(v) || !Number.isFinite(r)) continue;
      count++;
      const ratio = Math.abs(r - v) / e;
      if (ratio === 0) zeros++;
      else hist[Math.max(0, Math.min(BINS - 1, Math.floor((Math.log2(ratio) + 1000) * 8)))]++;
    }
  }
  if (!count) return 0;
  let need = Math.ceil(QUANTILE * count) - zeros;
  if (need <= 0) return 0;
  for (let b = 0; b < BINS; b++) {
    need -= hist[b];
    if (need <= 0) return 2 ** ((b + 1) / 8 - 1000); // the top of the bin: never below the quantile
  }
  return 1;
}

/** Elements shuffled within a block (in cache), and blocks shuffled among themselves: one pass that stays in cache. */
const SHUFFLE_BLOCK = 1024;

/**
 * `src`'s elements in another order, written to `dst` (same length): a random permutation of its
 * blocks, each block's elements permuted (from `rng`).
 */
function permuteInto(src: Float32Array | Float64Array, dst: Float32Array | Float64Array, rng: Rng): void {
  const n = src.length;
  const blocks = Math.ceil(n / SHUFFLE_BLOCK);
  const order = new Int32Array(blocks);
  for (let i = 0; i < blocks; i++) order[i] = i;
  const below = (m: number) => Math.floor((rng.u32() * m) / 4294967296); // uniform in [0, m) for m up to 2^21
  for (let i = blocks - 1; i > 0; i--) {
    const j = below(i + 1);
    const x = order[i];
    order[i] = order[j];
    order[j] = x;
  }
  let at = 0;
  for (let k = 0; k < blocks; k++) {
    const from = order[k] * SHUFFLE_BLOCK;
    const len = Math.min(SHUFFLE_BLOCK, n - from);
    dst.set(src.subarray(from, from + len), at);
    for (let i = len - 1; i > 0; i--) {
      const j = at + below(i + 1);
      const x = dst[at + i];
      dst[at + i] = dst[j];
      dst[j] = x;
    }
    at += len;
  }
}

/**
 * The bench input with every real input array's elements shuffled (same values, another order;
 * scalars and integer arrays, which hold structure, as they are), written into `out` (the input's
 * length): one buffer for every calibration run, as a fresh 64 MB buffer costs its page faults.
 */
function shuffleInto(t: Target, size: Size, input: Buffer, out: Buffer, seed: number): Buffer {
  input.copy(out);
  const rng = new Rng(seed);
  let off = 0;
  const width = t.real === 'float' ? 4 : 8;
  const C = width === 4 ? Float32Array : Float64Array;
  for (const piece of inputLayout(t, size)) {
    const a = t.arrays.find((x) => x.name === piece.name);
    if (piece.kind === 'array' && a && !a.int) {
      const n = piece.bytes / width;
      const aligned = (input.byteOffset + off) % width === 0 && (out.byteOffset + off) % width === 0;
      if (aligned) permuteInto(new C(input.buffer as ArrayBuffer, input.byteOffset + off, n), new C(out.buffer as ArrayBuffer, out.byteOffset + off, n), rng);
      else {
        const xs = new C(n);
        const ys = new C(n);
        Buffer.from(xs.buffer).set(input.subarray(off, off + piece.bytes));
        permuteInto(xs, ys, rng);
        Buffer.from(ys.buffer).copy(out, off);
      }
    }
    off += piece.bytes;
  }
  return out;
}

/**
 * Build the reference in the target's precision, run it once on the bench input (and, for outputs
 * with few elements, on shuffles of it next to the oracle), and derive the tolerance's scales.
 * Everything is cached in `cacheDir` by the content of the binaries and the input.
 */
export async function prepareBenchTolerance(o: {
  device: Device;
  target: Target;
  inputFile: string;
  oracleFile: string;
  oracleBinary: string;
  cacheDir: string;
  runOracle: (input: string, output: string) => Promise<void>;
  /** Another size than the bench size (a size-path case). */
  size?: Size;
  /** The reference already built in the target's precision (it is built here otherwise). */
  reference?: string;
  /** Settles when `oracleFile` is written: the reference is built and run meanwhile, on the other core. */
  oracleReady?: Promise<unknown>;
}): Promise<BenchTolerance> {
  const { device, target, cacheDir } = o;
  const size = o.size ?? target.benchSize;
  const source = referenceSource(target, device.language);
  const buildDir = join(cacheDir, `ref-${target.name}-${shortHash(source, JSON.stringify(size)).slice(0, 12)}-${process.pid}`);
  mkdirSync(buildDir, { recursive: true });
  const built = o.reference ? { ok: true, binary: o.reference, log: '' } : await device.build({ target, source, flags: [], workDir: buildDir });
  if (!built.ok) throw new Error(`the reference of ${target.name} does not build in ${target.real}:\n${built.log.slice(-1500)}`);
  // Large files (64 MB inputs) are read, copied and removed without blocking the loop's thread.
  const input = await readFile(o.inputFile);
  const key = shortHash(await readFile(built.binary!), await readFile(o.oracleBinary), input, JSON.stringify(size));
  const base = join(cacheDir, `bench-${target.name}-${key}`);

  // The reference runs in its own folder, the only one its sandbox shows writable: its binary, its
  // input and its output live there (a binary or input elsewhere may not be visible in the sandbox).
  const binary = join(buildDir, 'reference.bin');
  if (built.binary !== binary) await copyFile(built.binary!, binary);
  const runRef = async (inFile: string, outFile: string) => {
    if (existsSync(outFile)) return;
    // Written in the run's own folder (the only one a sandboxed run may write), then moved.
    const tmp = join(buildDir, 'ref.out');
    const input = join(buildDir, 'ref.in');
    await rm(tmp, { force: true });
    await copyFile(inFile, input);
    const r = await device.check({ binary, target, size, input, output: tmp, workDir: buildDir, timeoutMs: 900_000 });
    if (r.exitCode !== 0 || r.timedOut) throw new Error(`the reference of ${target.name} failed at ${o.size ? JSON.stringify(size) : 'the bench size'} (${describeExit(r)}): ${r.stderr.slice(0, 500)}`);
    await rename(tmp, outFile);
  };
  const refFile = `${base}.ref`;
  await runRef(o.inputFile, refFile);
  await o.oracleReady;
  const q = errorQuantile(target, size, await readFile(refFile), await readFile(o.oracleFile));

  const outputs = layout(target, size).filter((l) => l.a.role !== 'in');
  const total = outputs.reduce((s, l) => s + l.n, 0);
  let sampled: number[] | undefined;
  if (total < FEW_ELEMENTS) {
    const file = `${base}.sampled.json`;
    if (existsSync(file)) sampled = JSON.parse(readFileSync(file, 'utf8')) as number[];
    else {
      sampled = new Array<number>(total).fill(0);
      const calIn = `${base}.cal.in${process.pid}`;
      const calOracle = `${base}.cal.oracle${process.pid}`;
      const calRef = `${base}.cal.ref${process.pid}`;
      try {
        // The oracle and the reference run side by side, and the next shuffle is made while they run.
        const bufs = [Buffer.allocUnsafe(input.length), Buffer.allocUnsafe(input.length)];
        let next = shuffleInto(target, size, input, bufs[0], 0x5eed);
        for (let k = 0; k < CALIBRATION_RUNS; k++) {
          await writeFile(calIn, next);
          await rm(calOracle, { force: true });
          await rm(calRef, { force: true });
          const runs = Promise.all([o.runOracle(calIn, calOracle), runRef(calIn, calRef)]);
          if (k + 1 < CALIBRATION_RUNS) next = shuffleInto(target, size, input, bufs[(k + 1) % 2], 0x5eed + k + 1);
          await runs;
          const ob = await readFile(calOracle);
          const rb = await readFile(calRef);
          for (const l of outputs)
            for (let i = 0; i < l.n; i++) {
              const d = Math.abs(l.at(rb, i) - ob.readDoubleLE(l.oracle + i * 16));
              if (Number.isFinite(d) && d > sampled[l.first + i]) sampled[l.first + i] = d;
            }
        }
      } finally {
        for (const f of [calIn, calOracle, calRef]) await rm(f, { force: true });
      }
      writeFileSync(`${file}.tmp${process.pid}`, JSON.stringify(sampled));
      renameSync(`${file}.tmp${process.pid}`, file);
    }
  }
  await rm(buildDir, { recursive: true, force: true });
  return { refFile, q, sampled, factor: BENCH_FACTOR };
}

/** Where a size's check is and how to say it. */
const sizePhrase = (bench: BenchCheck, size: Size) =>
  bench.size
    ? `at ${Object.entries(size)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`
    : 'at the bench size';

/** One output array's comparison so far: its first wrong element, how many are wrong, the largest error ratio. */
interface Tally {
  first?: { i: number; c: number; v: number; tol: number };
  count: number;
  maxRatio: number;
}

/** Judge element i of an output array: c the run's value, r the reference's, v and e the oracle's value and bound. */
function elementJudge(bench: BenchCheck, l: Layout, tally: Tally): (i: number, c: number, r: number, v: number, e: number) => void {
  const t = bench.target;
  const u = unitOf(t);
  const { q, sampled, factor: F } = bench.tolerance;
  return (i, c, r, v, e) => {
    const measured = Math.max(Math.abs(r - v), Number.isFinite(e) ? q * e : 0, sampled?.[l.first + i] ?? 0, FLOOR_ULPS * u * Math.abs(v), Number.isFinite(e) && e <= TIGHT_BOUND * Math.abs(v) ? e / F : 0);
    const tol = Math.min(t.tolerance.factor * e, F * (Number.isNaN(measured) ? Infinity : measured));
    if (Number.isFinite(v) && Number.isFinite(c)) {
      const d = Math.abs(c - v);
      const ratio = tol > 0 ? d / tol : d > 0 ? Infinity : 0;
      if (ratio > tally.maxRatio) tally.maxRatio = ratio;
    }
    if (elementWrong(c, v, tol)) {
      tally.count++;
      tally.first ??= { i, c, v, tol };
    }
  };
}

const wrongReason = (at: string, l: Layout, size: Size, f: NonNullable<Tally['first']>, count: number) =>
  `${at}, wrong ${l.a.name}[${unflatten(l.a, size, f.i).join('][')}]: got ${f.c}, expected ${f.v} ± ${f.tol.toExponential(2)} (${count} elements wrong)`;

/**
 * Compare a run's outputs at the bench size (after one call on the bench input) with the oracle,
 * within the measured tolerance; inputs must be unchanged. Runs in kloop's process, on outputs in
 * memory (checkBench reads files a chunk at a time).
 */
export function checkBenchOutput(bench: BenchCheck, output: string | Buffer): BenchCheckResult {
  const t = bench.target;
  const size = bench.size ?? t.benchSize;
  const at = sizePhrase(bench, size);
  if (typeof output === 'string' && !existsSync(output)) return { ok: false, reason: 'the timed run left no outputs' };
  const got = typeof output === 'string' ? readFileSync(output) : output;
  const oracle = readFileSync(bench.oracleFile);
  const ref = readFileSync(bench.tolerance.refFile);
  let maxRatio = 0;
  for (const l of layout(t, size)) {
    const bytes = l.n * l.width;
    if (got.length < l.raw + bytes) return { ok: false, reason: `${at}, the output file ended inside ${l.a.name}` };
    if (l.a.role === 'in') {
      if (!got.subarray(l.raw, l.raw + bytes).equals(bench.inputs.get(l.a.name)!)) return { ok: false, reason: `${at}, input ${l.a.name} was modified` };
      continue;
    }
    const tally: Tally = { count: 0, maxRatio };
    const judge = elementJudge(bench, l, tally);
    const o = numbersAt(Float64Array, oracle, l.oracle, 2 * l.n);
    const gots = l.values(got);
    const refs = l.values(ref);
    for (let i = 0; i < l.n; i++) judge(i, gots[i], refs[i], o[2 * i], o[2 * i + 1]);
    maxRatio = tally.maxRatio;
    if (tally.first) return { ok: false, reason: wrongReason(at, l, size, tally.first, tally.count), maxErrorRatio: maxRatio };
  }
  return { ok: true, maxErrorRatio: maxRatio };
}

/** Elements compared per read when the outputs are read from files. */
const CHUNK = 1 << 16;

/**
 * checkBenchOutput on a file: the run's output, the oracle's and the reference's (hundreds of MB at
 * some bench sizes) are read a chunk at a time, without blocking the loop's thread or holding them whole.
 */
async function checkBenchFile(bench: BenchCheck, outputFile: string): Promise<BenchCheckResult> {
  const t = bench.target;
  const size = bench.size ?? t.benchSize;
  const at = sizePhrase(bench, size);
  if (!existsSync(outputFile)) return { ok: false, reason: 'the timed run left no outputs' };
  const files = await Promise.all([outputFile, bench.oracleFile, bench.tolerance.refFile].map((f) => open(f, 'r')));
  const [gotF, oracleF, refF] = files;
  try {
    const gotBytes = (await gotF.stat()).size;
    const read = async (f: FileHandle, pos: number, len: number) => {
      const b = Buffer.alloc(len);
      const { bytesRead } = await f.read(b, 0, len, pos);
      return bytesRead === len ? b : b.subarray(0, bytesRead);
    };
    let maxRatio = 0;
    for (const l of layout(t, size)) {
      if (gotBytes < l.raw + l.n * l.width) return { ok: false, reason: `${at}, the output file ended inside ${l.a.name}` };
      const tally: Tally = { count: 0, maxRatio };
      const judge = elementJudge(bench, l, tally);
      const input = bench.inputs.get(l.a.name);
      for (let i0 = 0; i0 < l.n; i0 += CHUNK) {
        const n = Math.min(CHUNK, l.n - i0);
        const got = await read(gotF, l.raw + i0 * l.width, n * l.width);
        if (l.a.role === 'in') {
          if (!got.equals(input!.subarray(i0 * l.width, (i0 + n) * l.width))) return { ok: false, reason: `${at}, input ${l.a.name} was modified` };
          continue;
        }
        const [ref, oracle] = await Promise.all([read(refF, l.raw + i0 * l.width, n * l.width), read(oracleF, l.oracle + i0 * 16, n * 16)]);
        const gots = valuesAt(t, l.a, got, 0, n);
        const refs = valuesAt(t, l.a, ref, 0, n);
        const o = numbersAt(Float64Array, oracle, 0, 2 * n);
        for (let k = 0; k < n; k++) judge(i0 + k, gots[k], refs[k], o[2 * k], o[2 * k + 1]);
      }
      maxRatio = tally.maxRatio;
      if (tally.first) return { ok: false, reason: wrongReason(at, l, size, tally.first, tally.count), maxErrorRatio: maxRatio };
    }
    return { ok: true, maxErrorRatio: maxRatio };
  } finally {
    await Promise.all(files.map((f) => f.close()));
  }
}

/** Targets whose timed runs evolve their data (inout arrays): their timed outputs cannot be checked. */
export const needsFreshCall = (t: Target) => t.arrays.some((a) => a.role === 'inout');

/**
 * The bench check of a timed binary: its timed run's outputs, or, for a target with inout arrays
 * (where repeated timed calls evolve the data), one call on the bench input in a fresh process.
 */
export async function checkBench(device: Device, bench: BenchCheck, outputFile: string, run?: { binary: string; workDir: string }): Promise<BenchCheckResult> {
  if (!needsFreshCall(bench.target)) return checkBenchFile(bench, outputFile);
  if (!run) return { ok: false, reason: `${bench.target.name} has inout arrays: its bench check needs the binary for one fresh call` };
  const out = join(run.workDir, 'bench-call.out');
  rmSync(out, { force: true });
  const r = await device.check({ binary: run.binary, target: bench.target, size: bench.target.benchSize, input: bench.inputFile, output: out, workDir: run.workDir, timeoutMs: 900_000 });
  if (r.exitCode !== 0 || r.timedOut) return { ok: false, reason: `one call at the bench size ${describeExit(r)}` };
  return checkBenchFile(bench, out);
}
