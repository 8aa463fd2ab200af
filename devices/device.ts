import type { RunResult } from '../sandboxes/index.js';
import type { Size, Target } from '../targets/index.js';

/** What identifies a device for memory: results and baselines only transfer between equal fingerprints. */
export interface Fingerprint {
  id: string;
  kind: DeviceKind;
  model: string;
  cores: number;
  flagsHash: string;
  compiler: string;
}

export type DeviceKind = 'cpu' | 'cuda';

/** What a GPU reports about itself (HP1 on a CUDA device). */
export interface GpuInfo {
  name: string;
  computeCapability: string;
  sms: number;
  l2Bytes: number;
  memoryMb: number;
  driver: string;
  runtime: string;
  nvcc: string;
}

/**
 * One level of the memory hierarchy with its measured bandwidth (the higher of a read-only
 * streaming sum and a triad over a working set well inside the level).
 */
export interface MemoryLevel {
  /** L1, L2, L3 … and DRAM (device memory on a GPU). */
  name: string;
  /**
   * Capacity: for a private level (`shared: false`) the share of one thread (its size over the
   * CPUs that share it), so that all threads together hold `bytes` x cores; for a shared level the
   * whole chip's. The last level (DRAM) holds the machine's memory size.
   */
  bytes: number;
  shared: boolean;
  /** GB/s for one core and for all cores. */
  gbs: { one: number; all: number };
}

/** All cores' bandwidth streaming a working set of `bytes` (total over the threads). */
export interface BandwidthPoint {
  bytes: number;
  gbs: number;
}

/** HP1: the device's measured peaks, the denominator of every "% of roofline". */
export interface DeviceProfile {
  fingerprint: Fingerprint;
  measuredAt: string;
  gflops: { fp32: { one: number; all: number }; fp64: { one: number; all: number } };
  /** DRAM bandwidth (= the last level's), kept for readers of older profiles. */
  bandwidthGBs: { one: number; all: number };
  /** The hierarchical roofline's levels, fastest first, DRAM last. A stored profile without them is measured again. */
  levels: MemoryLevel[];
  /**
   * All cores' streaming bandwidth measured at working sets doubling from the first level's to
   * DRAM's (total bytes, never rising with size): the roof of a kernel whose working set lies
   * between two levels. A CPU profile without it is measured again.
   */
  curve?: BandwidthPoint[];
  /** On a GPU: "one" is per streaming multiprocessor, "all" the whole device; these are its facts. */
  gpu?: GpuInfo;
}

export interface BuildResult {
  ok: boolean;
  binary?: string;
  log: string;
  ms: number;
  /** The tool this build is for is missing on this machine (e.g. compute-sanitizer): the layer is skipped, saying why. */
  unavailable?: string;
}

export interface TimedRun {
  ok: boolean;
  /** Per-call times, nanoseconds, as the harness measured them. */
  timesNs: number[];
  /** Whole-process wall time seen by kloop (the trusted cross-check). */
  wallMs: number;
  run: RunResult;
  /** Why a run that exited cleanly is still not a measurement (e.g. events and host clock disagree). */
  reason?: string;
}

/**
 * A check: the harness gets a fresh random seed per process (see harness-protocol.ts) unless
 * `seed` is given (reproducing a run); `threads` sets the OpenMP thread count (default: the machine's).
 */
export interface CheckRequest {
  binary: string;
  target: Target;
  size: Size;
  /** One input file, or several: one call each, in order, in the same buffers. */
  input: string | string[];
  output: string;
  workDir: string;
  timeoutMs: number;
  sanitized?: boolean;
  threads?: number;
  seed?: bigint;
  /**
   * Run with the C library's default allocator, as a user's process does (no perturbation of fresh
   * and freed memory, its caches on): state a kernel keeps in freed memory survives and shows. Other
   * checks and timed runs perturb, so such state never pays off there.
   */
  plainHeap?: boolean;
}

export interface TimeRequest {
  binary: string;
  target: Target;
  size: Size;
  input: string;
  output?: string;
  minMs: number;
  maxReps: number;
  workDir: string;
  timeoutMs: number;
  seed?: bigint;
}

/** A place kernels are built and run: the CPU (C, OpenMP) always; NVIDIA GPUs (CUDA) where present. */
export interface Device {
  readonly kind: DeviceKind;
  /** The language candidates are written in: C for the CPU, CUDA C++ for a GPU. */
  readonly language: 'c' | 'cuda';
  /** What the sanitizer layer runs (for verdicts and messages). */
  readonly sanitizerName: string;
  /** Why the bounded proof does not apply on this device, or undefined where it does. */
  readonly proofInapplicable?: string;
  fingerprint(): Promise<Fingerprint>;
  /** Measure the peaks (slow: seconds). */
  measureProfile(workDir: string): Promise<DeviceProfile>;
  build(req: { target: Target; source: string; flags: string[]; workDir: string }): Promise<BuildResult>;
  /**
   * Build what every candidate of a target shares (harness objects, plain and sanitized), once per
   * target, so that the first candidate's gate does not pay for it. Never rejects: a failure shows
   * where the product is used.
   */
  prepareTarget?(target: Target): Promise<void>;
  /** Build the reference as the oracle (values in double plus error bounds). */
  buildOracle(req: { target: Target; workDir: string }): Promise<BuildResult>;
  /**
   * The candidate as the compiler sees it when it builds the timed binary: the lines of the kernel
   * file after preprocessing with the same flags (macros expanded, conditional code resolved).
   */
  preprocess(req: { target: Target; source: string; flags: string[]; workDir: string }): Promise<{ ok: boolean; text: string; log: string }>;
  /** Symbols of the candidate's compiled object (after build): what it defines and calls. */
  objectSymbols(workDir: string): Promise<{ ok: boolean; text: string }>;
  /** The candidate and harness built with AddressSanitizer and UndefinedBehaviorSanitizer. */
  buildSanitized(req: { target: Target; source: string; flags: string[]; workDir: string }): Promise<BuildResult>;
  /** Reference or candidate built as C++ over the symbolic type, with the proof harness. */
  buildProof(req: { target: Target; source: string; workDir: string; name: string; harness: string; header: string; /** The candidate's flags: -fopenmp defines _OPENMP there too. */ flags?: string[] }): Promise<BuildResult>;
  /** Run a verification binary (sanitized check, proof) with the candidate's limits. */
  runTool(req: { binary: string; args: string[]; workDir: string; timeoutMs: number; sanitized?: boolean }): Promise<RunResult>;
  /**
   * One check process: a call per input file, in the same buffers (OUT gets one block per call);
   * `sanitized` for a binary from buildSanitized (no address-space limit, sanitizer options).
   */
  check(req: CheckRequest): Promise<RunResult>;
  /**
   * Several check cases in one sandboxed process, each run as `check` would run it alone (a fresh
   * process image per case): one result per case, in order. Cases after the first that fails are
   * not run (their result says so). Optional: see verifiers/check-cases.ts for devices without it.
   */
  checkCases?(req: CheckCasesRequest): Promise<RunResult[]>;
  /** A timed run: the same harness, poison, alignment and guard scheme as a check; the machine's thread count. */
  time(req: TimeRequest): Promise<TimedRun>;
}

/** Check cases of one binary at one thread count (see Device.checkCases). */
export interface CheckCasesRequest {
  binary: string;
  target: Target;
  /** The process's folder (every case's output is written there). */
  workDir: string;
  /** Each case's own limit. */
  timeoutMs: number;
  threads?: number;
  sanitized?: boolean;
  cases: { size: Size; input: string | string[]; output: string; seed?: bigint }[];
}
