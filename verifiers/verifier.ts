import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Rng, shortHash } from '../common/index.js';
import { harnessSeed, PLACEMENTS, type BuildResult, type Device } from '../devices/index.js';
import { describeExit, type RunResult } from '../sandboxes/index.js';
import { arrayLengthsC, definitionMismatch, elementCount, evalExpr, referenceSource, signatureParams, type Size, type Target } from '../targets/index.js';
import { checkBench, checkBenchOutput, prepareBenchTolerance, type BenchTolerance } from './bench-check.js';
import { compareOutputs } from './compare.js';
import { DISTRIBUTIONS, makeInputs, shareFirstHalf, spreadDistributions, type Distribution } from './inputs.js';
import { refuseDegenerate } from './degenerate.js';
import { referenceBuildError, referenceRunError } from './reference-errors.js';
import { checkOmpRaces, type RaceCheck } from './omp-races.js';
import { boundedProof, buildReferenceProof, proofPlan, proofUncovered, ReferenceProofRuns, startProofBuilds } from './proof.js';
import { formatSize, hiddenSizes } from './sizes.js';
import { analyseSizePaths, pathSizes, type PathBudget, type SizeAnalysis } from './size-paths.js';
import { dataEdges, type DataEdges, type InputEdge } from './data-paths.js';
import { checkSymbols, lineOf, parseNm, scanSource } from './static-gate.js';
import type { CaseRecord, Rejected, Verdict } from './verdict.js';
import { harnessFailure, type HarnessFailure } from './harness-exit.js';
import { callList, outputBlocks, staleCalls, type CallInput } from './stale-calls.js';
import { repeatedCalls, smallestCase } from './repeated-calls.js';
import { runCases, runGrouped } from './check-cases.js';

/** Calls each check case makes on its one input by default: one per poison kind (see C_POISON_KIND). */
const POISON_CALLS = 3;

export interface CheckCase {
  size: Size;
  distribution: Distribution;
  seed: number;
  hidden: boolean;
  inputFile: string;
  oracleFile: string;
  inputs: Map<string, Buffer>;
  /** A size-path case large enough for the worst-case bound to be loose also gets the measured tolerance. */
  measured?: BenchCheck;
}

/** The checks of one round for one target: fresh seeds, inputs written once, oracle run once. */
export interface CheckPlan {
  target: Target;
  cases: CheckCase[];
  /**
   * Fresh inputs at the size of `cases[of]` for the stale-state check (each with its oracle): this
   * one, then `more` (at least 2), all called in one process in the same buffers (see stale-calls.ts).
   */
  stale: { of: number; inputFile: string; oracleFile: string; inputs: Map<string, Buffer>; more: CallInput[]; shared: CallInput[] };
  /** What size-path cases are made from: the oracle, the plan's folder and seed. */
  oracle: string;
  dir: string;
  seed: number;
  /** Size-path cases made so far (shared by every candidate verified against this plan). */
  pathCases: Map<string, Promise<CheckCase>>;
  /** The reference built in the target's precision, for measured tolerances (made on first use). */
  reference?: Promise<string>;
}

export interface VerifierOptions {
  device: Device;
  hiddenSizes?: number;
  caseTimeoutMs?: number;
  sanitizers?: boolean;
  proof?: boolean;
  proofBudget?: number;
  /** The check budget for size-dependent paths (defaults: see `pathBudget`). */
  pathBudget?: Partial<PathBudget>;
  /** Check processes of one candidate run at once (default: see `lanes()`). Verdicts do not depend on it. */
  lanes?: number;
  /**
   * Calls per check case on its one input (default 3: every output array gets every poison kind, so
   * a kernel that reads an output before writing it is caught at every size). Fewer is weaker: only
   * for the CUDA emulation's tests, where one emulated call takes seconds.
   */
  poisonCalls?: number;
}

export interface Candidate {
  binary: string;
  source: string;
  flags: string[];
  workDir: string;
}

/** The bench-size check of timed runs' outputs: one input, its oracle computed once and cached. */
export interface BenchCheck {
  target: Target;
  inputFile: string;
  oracleFile: string;
  inputs: Map<string, Buffer>;
  /** The measured tolerance at the bench size (the worst-case bound is vacuous there): see bench-check.ts. */
  tolerance: BenchTolerance;
  /** The size checked, where it is not the bench size (a size-path case). */
  size?: Size;
}

/**
 * OpenMP thread counts the check cases cycle through: one thread, the machine's count (undefined),
 * more threads than any test machine has cores, and a count between 4 and 16 drawn from the plan's
 * seed (a kernel whose tail was dropped only at 4 to 16 threads passed a cycle of 1, 2 and 17), so
 * paths taken only at some thread counts run.
 */
export const CHECK_THREADS: readonly (number | undefined)[] = [1, undefined, 17];

/** The cycle for one plan: CHECK_THREADS and a count between 4 and 16 drawn from its seed. */
export function checkThreads(seed: number): (number | undefined)[] {
  return [...CHECK_THREADS, 4 + ((Math.imul(seed | 0, 2654435761) >>> 0) % 13)];
}

/** `fn()`'s result, returned (or thrown) only once `started` has settled: no process started beside it outlives it. */
async function settledAfter<T>(started: Promise<unknown> | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await started?.catch(() => undefined);
  }
}

/** A case's output file; empty where there is none (a process that ended before it wrote one: a short output). */
const readOutput = (file: string): Buffer => (existsSync(file) ? readFileSync(file) : Buffer.alloc(0));

/** Size-path cases of at least this much work also meet the measured tolerance (see bench-check.ts). */
const MEASURED_FROM = 1000;

export class Verifier {
  private readonly referenceProofRuns = new ReferenceProofRuns();

  constructor(private readonly opts: VerifierOptions) {}

  /**
   * How many check processes of one candidate run at once: two on a CPU with two cores or more; one
   * on a GPU (one device: concurrent processes only time-slice it) or a one-core machine.
   */
  private lanes(): number {
    return this.opts.lanes ?? (this.opts.device.language === 'cuda' ? 1 : Math.min(2, availableParallelism()));
  }

  /**
   * How far the size-path checks may go: one case may cost up to 4x the bench size's work (at
   * least 1e8 operations) and 2x its elements (at least 2^22); at most 64 cases per candidate.
   */
  pathBudget(target: Target): PathBudget {
    const bench = target.benchSize;
    const o = this.opts.pathBudget ?? {};
    return {
      caseWork: o.caseWork ?? Math.max(4 * evalExpr(target.flops, bench), 1e8),
      caseElements: o.caseElements ?? Math.max(2 * target.arrays.reduce((n, a) => n + elementCount(a, bench), 0), 1 << 22),
      maxCases: o.maxCases ?? 64,
    };
  }

  /** One size-path case (or data edge case): inputs drawn from the plan's seed, the size and the edge, the oracle run once per plan. */
  private pathCase(plan: CheckPlan, size: Size, edge?: InputEdge): Promise<CheckCase> {
    const key = JSON.stringify(edge ? { size, edge } : size);
    let made = plan.pathCases.get(key);
    if (!made) {
      made = (async () => {
        const seed = new Rng(plan.seed ^ parseInt(shortHash(key).slice(0, 8), 16)).u32();
        const distribution = DISTRIBUTIONS[plan.pathCases.size % DISTRIBUTIONS.length];
        const inputs = makeInputs(plan.target, size, seed, distribution, { edge });
        // Each case in its own folder: cases are made concurrently, and a sandboxed run owns its folder.
        const dir = join(plan.dir, `path-${shortHash(key).slice(0, 12)}`);
        mkdirSync(dir, { recursive: true });
        const inputFile = join(dir, 'case.in');
        const oracleFile = join(dir, 'case.oracle');
        writeFileSync(inputFile, inputs.bytes);
        const oracleReady = this.runOracle(plan.oracle, plan.target, size, inputFile, oracleFile, dir);
        oracleReady.catch(() => undefined); // awaited below; a failure meanwhile is not unhandled
        const k: CheckCase = { size, distribution, seed, hidden: true, inputFile, oracleFile, inputs: inputs.arrays };
        // The reference in the target's precision is built and run while the oracle runs.
        if (evalExpr(plan.target.flops, size) < MEASURED_FROM) await oracleReady;
        else {
          plan.reference ??= this.opts.device.build({ target: plan.target, source: referenceSource(plan.target, this.opts.device.language), flags: [], workDir: join(plan.dir, 'reference-real') }).then((b) => {
            if (!b.ok) throw referenceBuildError(plan.target, b.log, 'baseline');
            return b.binary!;
          });
          const runOracle = (input: string, output: string) => this.runOracle(plan.oracle, plan.target, size, input, output, dir);
          const tolerance = await settledAfter(oracleReady, async () =>
            prepareBenchTolerance({ device: this.opts.device, target: plan.target, inputFile, oracleFile, oracleBinary: plan.oracle, cacheDir: dir, runOracle, size, reference: await plan.reference!, oracleReady }),
          );
          k.measured = { target: plan.target, inputFile, oracleFile, inputs: inputs.arrays, tolerance, size };
        }
        return k;
      })();
      plan.pathCases.set(key, made);
    }
    return made;
  }

  private async runOracle(binary: string, target: Target, size: Size, input: string, output: string, dir: string): Promise<void> {
    const r = await this.opts.device.check({ binary, target, size, input, output, workDir: dir, timeoutMs: 600_000 });
    if (r.exitCode !== 0) throw referenceRunError(target, size, describeExit(r), r.stderr, 'oracle');
  }

  /** Make the round's cases and their expected values (oracle = reference in double with error bounds). */
  async prepare(target: Target, seed: number, dir: string): Promise<CheckPlan> {
    mkdirSync(dir, { recursive: true });
    // Per target, not per candidate: the harness objects every candidate links, and the reference's
    // proof build (with the symbolic header and the proof harness), are made while the oracle runs.
    const proofReady = Promise.all([
      this.opts.proof !== false && !this.opts.device.proofInapplicable && !proofUncovered(target) ? buildReferenceProof(this.opts.device, target, join(dir, 'proof')) : undefined,
      this.opts.device.prepareTarget?.(target),
    ]);
    const oracle = await this.opts.device.buildOracle({ target, workDir: dir });
    if (!oracle.ok) {
      await proofReady;
      throw referenceBuildError(target, oracle.log, 'oracle');
    }
    const rng = new Rng(seed);
    const sizes = [...target.checkSizes.map((s) => ({ s, hidden: false })), ...hiddenSizes(target, rng.u32(), this.opts.hiddenSizes ?? 6).map((s) => ({ s, hidden: true }))];
    const cases: CheckCase[] = [];
    const oracleRuns: { size: Size; inputFile: string; oracleFile: string }[] = [];
    // Every distribution is drawn in every plan (sizes repeat, cyclically, where there are fewer).
    for (const [
      i,
      {
        item: { s, hidden },
        distribution,
      },
    ] of spreadDistributions(sizes, seed).entries()) {
      const caseSeed = rng.u32();
      const inputs = makeInputs(target, s, caseSeed, distribution);
      const inputFile = join(dir, `case${i}.in`);
      const oracleFile = join(dir, `case${i}.oracle`);
      writeFileSync(inputFile, inputs.bytes);
      oracleRuns.push({ size: s, inputFile, oracleFile });
      cases.push({ size: s, distribution, seed: caseSeed, hidden, inputFile, oracleFile, inputs: inputs.arrays });
    }
    // The largest case gets a second input: for the stale-state check, and to see that the
    // target's outputs depend on its inputs at all.
    const big = cases.reduce((b, c, i) => (target.arrays.reduce((n, a) => n + elementCount(a, c.size), 0) > target.arrays.reduce((n, a) => n + elementCount(a, cases[b].size), 0) ? i : b), 0);
    const alt = makeInputs(target, cases[big].size, rng.u32(), 'normal', { typical: true });
    const stale = { of: big, inputFile: join(dir, 'stale.in'), oracleFile: join(dir, 'stale.oracle'), inputs: alt.arrays, more: [] as CallInput[], shared: [] as CallInput[] };
    writeFileSync(stale.inputFile, alt.bytes);
    oracleRuns.push({ size: cases[big].size, ...stale });
    // More fresh inputs for the stale-state check's consecutive calls, each with its own oracle.
    for (let j = 1; j <= 2; j++) {
      const more = makeInputs(target, cases[big].size, rng.u32(), DISTRIBUTIONS[(seed + j) % DISTRIBUTIONS.length]);
      const call = { inputFile: join(dir, `stale${j}.in`), oracleFile: join(dir, `stale${j}.oracle`), inputs: more.arrays };
      writeFileSync(call.inputFile, more.bytes);
      oracleRuns.push({ size: cases[big].size, ...call });
      stale.more.push(call);
    }
    // Inputs sharing the first half of every array (the rest fresh), called in a row without poison between.
    const base = makeInputs(target, cases[big].size, rng.u32(), DISTRIBUTIONS[(seed + 3) % DISTRIBUTIONS.length]);
    for (let j = 0; j < 4; j++) {
      const part = makeInputs(target, cases[big].size, rng.u32(), DISTRIBUTIONS[(seed + 4 + j) % DISTRIBUTIONS.length]);
      shareFirstHalf(target, base.arrays, part.arrays);
      const call = { inputFile: join(dir, `shared${j}.in`), oracleFile: join(dir, `shared${j}.oracle`), inputs: part.arrays };
      writeFileSync(call.inputFile, Buffer.concat([...part.arrays.values()]));
      oracleRuns.push({ size: cases[big].size, ...call });
      stale.shared.push(call);
    }
    // Every oracle run of the plan in one process where the device can (each in a fork of its own).
    // (an error is thrown only once the proof's and harnesses' builds have settled: settledAfter)
    await settledAfter(proofReady, async () => {
      const ran = await runCases(this.opts.device, { binary: oracle.binary!, target, workDir: dir, timeoutMs: 600_000, cases: oracleRuns.map((o) => ({ size: o.size, input: o.inputFile, output: o.oracleFile })) });
      const failed = ran.findIndex((r) => r.exitCode !== 0 || r.timedOut);
      if (failed >= 0) throw referenceRunError(target, oracleRuns[failed].size, describeExit(ran[failed]), ran[failed].stderr, 'oracle');
    });
    await proofReady;
    refuseDegenerate(target, cases, stale);
    return { target, cases, stale, oracle: oracle.binary!, dir, seed, pathCases: new Map() };
  }

  /** The oracle at the bench size for a given bench input (cached by content: slow for big kernels). */
  async prepareBench(target: Target, inputFile: string, inputs: Map<string, Buffer>, cacheDir: string): Promise<BenchCheck> {
    mkdirSync(cacheDir, { recursive: true });
    const oracle = await this.opts.device.buildOracle({ target, workDir: cacheDir });
    if (!oracle.ok) throw referenceBuildError(target, oracle.log, 'oracle');
    const key = shortHash(oracle.binary!, readFileSync(inputFile), JSON.stringify(target.benchSize));
    const oracleFile = join(cacheDir, `bench-${target.name}-${key}.oracle`);
    const oracleReady = existsSync(oracleFile)
      ? undefined
      : (async () => {
          const tmp = `${oracleFile}.tmp${process.pid}`;
          await this.runOracle(oracle.binary!, target, target.benchSize, inputFile, tmp, cacheDir);
          renameSync(tmp, oracleFile);
        })();
    oracleReady?.catch(() => undefined); // awaited below; a failure meanwhile is not unhandled
    const tolerance = await settledAfter(oracleReady, () =>
      prepareBenchTolerance({
        oracleReady,
        device: this.opts.device,
        target,
        inputFile,
        oracleFile,
        oracleBinary: oracle.binary!,
        cacheDir,
        runOracle: (input, output) => this.runOracle(oracle.binary!, target, target.benchSize, input, output, cacheDir),
      }),
    );
    return { target, inputFile, oracleFile, inputs, tolerance };
  }

  /**
   * Outputs a timed run left behind: the timed binary must compute what the verified one did, within
   * the tolerance measured at the bench size. A target with inout arrays (repeated timed calls evolve
   * its data) gets one call of `run.binary` on the bench input in a fresh process instead.
   */
  checkTimedOutput(bench: BenchCheck, outputFile: string, run?: { binary: string; workDir: string }): Promise<{ ok: true } | { ok: false; reason: string }> {
    return checkBench(this.opts.device, bench, outputFile, run);
  }

  /**
   * The gate, layer by layer: static rules on the source and the object file; every case in its own
   * process (outputs poisoned, guard zones, inputs compared, values within the error bound);
   * determinism; state cached across calls; sanitizers; the bounded proof. The first failure decides.
   */
  async verify(plan: CheckPlan, c: Candidate): Promise<Verdict> {
    const background: (Promise<unknown> | undefined)[] = [];
    try {
      return await this.layers(plan, c, background);
    } finally {
      await Promise.allSettled(background);
    }
  }

  private async layers(plan: CheckPlan, c: Candidate, background: (Promise<unknown> | undefined)[]): Promise<Verdict> {
    const { target } = plan;
    const { device } = this.opts;
    const records: CaseRecord[] = [];
    const layers: string[] = [];
    // Wall time per layer (ms): a layer's clock runs until the next one starts or the verdict.
    const layerMs: Record<string, number> = {};
    let mark = performance.now();
    const close = () => {
      const now = performance.now();
      const last = layers[layers.length - 1];
      if (last) layerMs[last] = (layerMs[last] ?? 0) + now - mark;
      mark = now;
    };
    const enter = (layer: string) => {
      close();
      layers.push(layer);
    };
    let maxErrorRatio = 0;
    const reject = (v: Omit<Rejected, 'status' | 'cases' | 'maxErrorRatio' | 'layers'>): Rejected => (close(), { status: 'rejected', cases: records, maxErrorRatio, layers, layerMs, ...v });

    enter('static');
    const src = scanSource(c.source, device.language);
    if (src) return reject({ layer: 'static', reason: src.what, line: src.line });
    // The kernel must take what the harness passes: another type reads other bits (a long read as int).
    const mismatch = device.language === 'c' ? definitionMismatch(c.source, target.fn, signatureParams(target), target.real) : undefined;
    if (mismatch) return reject({ layer: 'static', reason: `its definition does not take the target's parameters: ${mismatch}` });
    const nm = await device.objectSymbols(c.workDir);
    if (nm.ok) {
      const bad = checkSymbols(parseNm(nm.text), target.fn, device.language);
      if (bad) return reject({ layer: 'static', reason: bad.what, line: lineOf(c.source, bad.symbol) });
    }

    // OpenMP loops are checked for races here; CUDA kernels get racecheck among the sanitizers.
    const races: RaceCheck = device.language === 'c' ? checkOmpRaces(c.source, target.fn, arrayLengthsC(target)) : { ok: true, parallelLoops: 0 };
    if (device.language === 'c') enter('race');
    if (races.ok === false) return reject({ layer: 'race', reason: races.what, line: races.line });

    // The sanitizer build is a compile of its own: started now, it overlaps the analysis and the
    // tests (in its own folder: a sandboxed run owns the folder it runs in). A verdict waits for
    // it (`verify`), so no compile outlives its candidate's gate.
    const sanitized =
      this.opts.sanitizers !== false ? device.buildSanitized({ target, source: c.source, flags: c.flags, workDir: join(c.workDir, 'sanitizer') }).catch((e: Error): BuildResult => ({ ok: false, log: e.message, ms: 0 })) : undefined;
    background.push(sanitized);

    // Every size-dependent path, found in the C the compiler builds, is run on both sides of its boundary.
    enter('size-paths');
    const pre = await device.preprocess({ target, source: c.source, flags: c.flags, workDir: c.workDir });
    if (!pre.ok) return reject({ layer: 'static', reason: 'the preprocessor rejects the kernel', detail: pre.log.slice(-2000) });
    let analysis: SizeAnalysis;
    try {
      analysis = analyseSizePaths(target, pre.text);
    } catch (e) {
      return reject({ layer: 'size-paths', reason: `its size-dependent paths cannot be analysed (${(e as Error).message.slice(0, 200)}): rejected (fail closed)` });
    }
    const paths = pathSizes(target, analysis, this.pathBudget(target), (z) => target.arrays.reduce((n, a) => n + elementCount(a, z), 0));
    if ('untestable' in paths) return reject({ layer: 'size-paths', reason: `${paths.untestable}: rejected (fail closed)`, line: paths.line });
    // Every comparison of a value read from integer data or derived from a scalar with a constant: inputs at and around it.
    let edges: DataEdges;
    try {
      edges = dataEdges(target, pre.text, this.pathBudget(target), (z) => target.arrays.reduce((n, a) => n + elementCount(a, z), 0));
    } catch (e) {
      return reject({ layer: 'size-paths', reason: `its data-dependent paths cannot be analysed (${(e as Error).message.slice(0, 200)}): rejected (fail closed)` });
    }
    if ('untestable' in edges) return reject({ layer: 'size-paths', reason: `${edges.untestable}: rejected (fail closed)`, line: edges.line });
    let extra: CheckCase[];
    try {
      extra = await Promise.all([...paths.sizes.map((z) => this.pathCase(plan, z)), ...paths.swept.map((z) => this.pathCase(plan, z)), ...edges.cases.map((e) => this.pathCase(plan, e.size, e.edge))]);
    } catch (e) {
      return reject({ layer: 'size-paths', reason: `the reference cannot be run at the sizes this kernel's paths need, so they cannot be checked: rejected (fail closed)`, detail: (e as Error).message.slice(0, 2000) });
    }

    // The proof's builds likewise, once it is known that the proof can apply.
    const proofDir = join(c.workDir, 'proof');
    const proofable = this.opts.proof !== false && !device.proofInapplicable && races.ok !== 'unparsed';
    const planned = proofable ? proofPlan(target, c.source, { analysis, pathSizes: paths.sizes, budget: this.opts.proofBudget, flags: c.flags }) : undefined;
    // A target whose reference branches on its data cannot be proved (see ReferenceProofRuns.knownInapplicable): no builds.
    const applies = !!planned && !('inapplicable' in planned);
    const refused = applies ? this.referenceProofRuns.knownInapplicable(target) : undefined;
    const proofBuilds = applies && !refused ? startProofBuilds(device, target, c.source, proofDir, c.flags) : undefined;
    background.push(proofBuilds);

    enter('tests');
    const timeoutMs = this.opts.caseTimeoutMs ?? 10_000;
    const perCase = this.opts.poisonCalls ?? POISON_CALLS;
    const sameInput = (inputFile: string) => Array<string>(perCase).fill(inputFile);
    // The cycle is turned so that the determinism check's case runs at the machine's count (an OpenMP
    // reduction over more than two threads combines in arrival order: not bit-reproducible).
    const cycle = checkThreads(plan.seed);
    const n = cycle.length;
    const threadsOf = (i: number) => cycle[(((i - plan.stale.of + 1) % n) + n) % n];
    // Cases run `lanes` at a time, each lane in its own folder (a sandboxed run owns the folder it
    // runs in); they are judged in order, so the verdict is the one a serial run would give.
    const lanes = this.lanes();
    const laneDir = (what: string, lane: number) => {
      const d = join(c.workDir, `${what}-lane${lane}`);
      mkdirSync(d, { recursive: true });
      return d;
    };
    // Placements rotate over the cases (from a random start): every array sits at every alignment in some case.
    const rot = randomInt(PLACEMENTS);
    const seeds = [...plan.cases, ...extra].map((_, i) => harnessSeed((rot + i) % PLACEMENTS));
    const outputs: string[] = [];
    const all = [...plan.cases, ...extra];
    // The cases of one thread count run in one process (each in a fork of its own where the device
    // can: Device.checkCases), `lanes` processes at a time, each in its lane's folder.
    const results = await runGrouped(
      all.length,
      (i) => threadsOf(i),
      lanes,
      (ix, lane) => {
        const dir = laneDir('check', lane);
        for (const i of ix) outputs[i] = join(dir, `check${i}.out`);
        // Three calls on the same input: the harness poisons each output with every kind once over
        // them (C_POISON_KIND), so a kernel that reads an output before writing it shows at every size.
        return runCases(device, {
          binary: c.binary,
          target,
          workDir: dir,
          timeoutMs: timeoutMs * perCase,
          threads: threadsOf(ix[0]),
          cases: ix.map((i) => ({ size: all[i].size, input: sameInput(all[i].inputFile), output: outputs[i], seed: seeds[i] })),
        });
      },
    );
    // Judged in order: the verdict is the one a serial run would give.
    const judge = (r: RunResult, k: CheckCase, i: number): Verdict | undefined => {
      const threads = threadsOf(i);
      const out = outputs[i];
      const rec: CaseRecord = { size: k.size, distribution: k.distribution, seed: k.seed, hidden: k.hidden, ok: false, ms: r.wallMs, threads };
      records.push(rec);
      const repro = { size: k.size, seed: k.seed, distribution: k.distribution, threads, harnessSeed: seeds[i].toString(16) };
      const failed = harnessFailure(r, formatSize(k.size));
      if (failed) return reject({ ...failed, reproducer: repro });
      const oracle = readFileSync(k.oracleFile);
      const blocks = outputBlocks(target, k.size, readOutput(out), perCase);
      const cmp = blocks.map((b) => compareOutputs(target, k.size, k.inputs, b, oracle)).reduce((worst, x) => (!worst.ok ? worst : !x.ok ? x : x.maxErrorRatio > worst.maxErrorRatio ? x : worst));
      if (!cmp.ok) {
        if (cmp.kind === 'mutated-input') return reject({ layer: 'inputs', reason: `input ${cmp.array} was modified (element ${cmp.index})`, reproducer: { ...repro, array: cmp.array } });
        if (cmp.kind === 'short-output') return reject({ layer: 'run', reason: cmp.detail, reproducer: repro });
        return reject({
          layer: 'compare',
          reason: `wrong ${cmp.array}[${cmp.index.join('][')}]: got ${cmp.got}, expected ${cmp.expected} ± ${cmp.tolerance.toExponential(2)} (${cmp.count} elements wrong)`,
          reproducer: { ...repro, array: cmp.array, index: cmp.index, got: cmp.got, expected: cmp.expected, tolerance: cmp.tolerance },
        });
      }
      const measured = k.measured && blocks.map((b) => checkBenchOutput(k.measured!, b)).find((m) => !m.ok);
      if (measured && !measured.ok) return reject({ layer: 'compare', reason: `${measured.reason} (the reference's own measured error sets the tolerance at this size)`, reproducer: repro });
      rec.ok = true;
      maxErrorRatio = Math.max(maxErrorRatio, cmp.maxErrorRatio);
      return undefined;
    };
    let testFailure: Verdict | undefined;
    for (let i = 0; i < all.length && !testFailure; i++) testFailure = judge(results[i], all[i], i);
    if (testFailure) return testFailure;
    // The proof's symbolic runs start once the tests have passed, overlapping the layers after them.
    const proofRun =
      proofable && !device.proofInapplicable && !refused
        ? boundedProof(device, target, c.source, proofDir, { analysis, pathSizes: paths.sizes, budget: this.opts.proofBudget, builds: proofBuilds, flags: c.flags, referenceRuns: this.referenceProofRuns })
        : undefined;
    proofRun?.catch(() => undefined); // awaited in its layer; a failure there is not unhandled meanwhile
    background.push(proofRun);

    // The same input again, in a fresh process (same thread count, same harness seed so the same
    // alignment): bit-identical, unless the target allows otherwise.
    const s = plan.stale;
    const k = plan.cases[s.of];
    if (!target.nondeterministic) {
      enter('determinism');
      const again = join(c.workDir, 'again.out');
      const r = await device.check({ binary: c.binary, target, size: k.size, input: sameInput(k.inputFile), output: again, workDir: c.workDir, timeoutMs: timeoutMs * perCase, threads: threadsOf(s.of), seed: seeds[s.of] });
      if (r.exitCode !== 0 || !readFileSync(again).equals(readFileSync(outputs[s.of])))
        return reject({
          layer: 'determinism',
          reason: `the same input gave different outputs in two runs at ${formatSize(k.size)} (a race or a read of uninitialised memory)`,
          reproducer: { size: k.size, seed: k.seed, distribution: k.distribution, threads: threadsOf(s.of) },
        });
    }
    // Consecutive calls in one process, in the same buffers: fresh inputs, then earlier ones again.
    // Every call must be right for its own input: state kept between calls (a memo, heap residue) shows.
    enter('stale-state');
    const calls = staleCalls({ inputFile: k.inputFile, oracleFile: k.oracleFile, inputs: k.inputs }, [s, ...s.more], s.shared);
    const many = join(c.workDir, 'calls.out');
    // With the allocator a user's process has: state kept in freed memory survives there (elsewhere it is wiped).
    const r2 = await device.check({ binary: c.binary, target, size: k.size, input: callList(calls), output: many, workDir: c.workDir, timeoutMs: timeoutMs * calls.length, plainHeap: true });
    const staleRepro = { size: k.size, seed: k.seed, distribution: k.distribution };
    const failed2 = harnessFailure(r2, formatSize(k.size));
    if (failed2) return reject({ ...failed2, layer: failed2.layer === 'run' ? 'stale-state' : failed2.layer, reproducer: staleRepro });
    const blocks = outputBlocks(target, k.size, readFileSync(many), calls.length);
    for (const [j, call] of calls.entries()) {
      const cmp2 = compareOutputs(target, k.size, call.inputs, blocks[j], readFileSync(call.oracleFile));
      if (cmp2.ok) continue;
      // State, or simply wrong on this input? The same input alone, in a fresh process, tells.
      const alone = join(c.workDir, 'alone.out');
      const r3 = await device.check({ binary: c.binary, target, size: k.size, input: call.inputFile, output: alone, workDir: c.workDir, timeoutMs });
      const cmp3 = r3.exitCode === 0 ? compareOutputs(target, k.size, call.inputs, readFileSync(alone), readFileSync(call.oracleFile)) : undefined;
      if (cmp3 && !cmp3.ok && cmp3.kind === 'wrong-output')
        return reject({
          layer: 'compare',
          reason: `wrong ${cmp3.array}[${cmp3.index.join('][')}]: got ${cmp3.got}, expected ${cmp3.expected} ± ${cmp3.tolerance.toExponential(2)} (${cmp3.count} elements wrong; an input of the stale-state check, alone in a fresh process)`,
          reproducer: staleRepro,
        });
      return reject({ layer: 'stale-state', reason: `call ${j + 1} of ${calls.length} in one process (inputs loaded into the same buffers) gave wrong results at ${formatSize(k.size)} (state kept between calls)`, reproducer: staleRepro });
    }
    // Many calls on one small input, in a process of its own (CPU harness only). After the calls above,
    // not beside them: run beside them, the stale-state run sometimes could not write its own folder.
    const many2 =
      device.language === 'c'
        ? await repeatedCalls(device, target, c.binary, smallestCase(target, plan.cases), c.workDir).catch((e: Error): HarnessFailure => ({
            layer: 'stale-state',
            reason: `the repeated-calls check could not run (${e.message.slice(0, 200)})`,
          }))
        : undefined;
    if (many2) return reject(many2);

    if (this.opts.sanitizers !== false) {
      enter('sanitizers');
      const b = await sanitized!;
      if (b.unavailable) layers[layers.length - 1] = `sanitizers (skipped: ${b.unavailable})`;
      else if (!b.ok) return reject({ layer: 'sanitizer', reason: `does not build for ${device.sanitizerName}`, detail: b.log.slice(-2000) });
      // Every planned case, hidden sizes included; the outputs are compared like any check's.
      const sanOut: string[] = [];
      const sanJudge = (r: RunResult, kc: CheckCase, i: number): Verdict | undefined => {
        const repro = { size: kc.size, seed: kc.seed, distribution: kc.distribution, threads: threadsOf(i) };
        if (r.exitCode !== 0) {
          const failed = harnessFailure(r, formatSize(kc.size));
          if (failed && failed.layer !== 'run') return reject({ ...failed, reproducer: repro });
          const report =
            r.stderr
              .split('\n')
              .find((l) => /ERROR: AddressSanitizer|runtime error|SUMMARY|^=+ (Invalid|Race|Uninitialized|Error|.*hazard|Program hit)/.test(l))
              ?.trim() ?? `${describeExit(r)}`;
          return reject({ layer: 'sanitizer', reason: report.slice(0, 300), detail: r.stderr.slice(0, 4000), reproducer: repro });
        }
        const cmp = compareOutputs(target, kc.size, kc.inputs, readOutput(sanOut[i]), readFileSync(kc.oracleFile));
        if (cmp.ok) return undefined;
        const what =
          cmp.kind === 'wrong-output'
            ? `wrong ${cmp.array}[${cmp.index.join('][')}]: got ${cmp.got}, expected ${cmp.expected} ± ${cmp.tolerance.toExponential(2)}`
            : cmp.kind === 'mutated-input'
              ? `input ${cmp.array} was modified (element ${cmp.index})`
              : cmp.detail;
        return reject({ layer: cmp.kind === 'mutated-input' ? 'inputs' : 'compare', reason: `${what} in the sanitizer build (${device.sanitizerName})`, reproducer: repro });
      };
      let sanFailure: Verdict | undefined;
      if (!b.unavailable) {
        const sanResults = await runGrouped(
          plan.cases.length,
          (i) => threadsOf(i),
          lanes,
          (ix, lane) => {
            const dir = laneDir('san', lane);
            for (const i of ix) sanOut[i] = join(dir, `san${i}.out`);
            return runCases(device, {
              binary: b.binary!,
              target,
              workDir: dir,
              timeoutMs: timeoutMs * 6,
              sanitized: true,
              threads: threadsOf(ix[0]),
              cases: ix.map((i) => ({ size: plan.cases[i].size, input: plan.cases[i].inputFile, output: sanOut[i] })),
            });
          },
        );
        for (let i = 0; i < plan.cases.length && !sanFailure; i++) sanFailure = sanJudge(sanResults[i], plan.cases[i], i);
      }
      if (sanFailure) return sanFailure;
    }

    let proof;
    if (this.opts.proof !== false) {
      enter('proof');
      proof = device.proofInapplicable
        ? { status: 'inapplicable' as const, reason: device.proofInapplicable, sizes: [], ms: 0 }
        : races.ok === 'unparsed'
          ? { status: 'inapplicable' as const, reason: `its OpenMP loops could not be analysed for races (${races.why}): tested only`, sizes: [], ms: 0 }
          : refused
            ? { status: 'inapplicable' as const, reason: `the reference: ${refused} (its symbolic run stopped there for an earlier candidate of ${target.name}, at any size: not run again)`, sizes: [], ms: 0 }
            : await proofRun!;
      if (proof.status === 'disproved') return { ...reject({ layer: 'proof', reason: proof.reason }), proof };
    }
    close();
    return { status: proof?.status === 'proved' ? 'proved' : 'tested', cases: records, maxErrorRatio, layers, layerMs, proof };
  }
}
