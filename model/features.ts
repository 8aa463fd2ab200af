import { estimateCost } from '../agents/builtin/cost-model.js';
import type { DeviceProfile } from '../devices/index.js';
import { parseC, type Func, type Unit } from '../csyntax/index.js';
import { evalExpr, type Target } from '../targets/index.js';
import { nestFacts } from './nest-facts.js';

/**
 * CM1's feature vector: fixed length, in this order, for any draft of any writer. Three parts:
 *   - context: the target at its bench size and the device (the same for every candidate of a
 *     target on a device);
 *   - the draft's flags and what its text shows (available for any source, parsed or not);
 *   - its loop nests at the bench size from the syntax tree, and the static cost model's estimate
 *     (zero, with `parsed` 0, for a source outside the parsable subset).
 * Logs keep sizes and rates on one scale; shares are of the innermost work.
 */
export const CONTEXT_FEATURES = ['log_flops', 'log_bytes', 'log_intensity', 'fp64', 'log_peak_fp32', 'log_peak_fp64', 'log_bandwidth', 'log_cores', 'log_roof_ns'] as const;

/** Flags a draft may set, one indicator each (-O3 and -march=native are the build's own, seen here if a draft repeats them). */
export const FLAG_FEATURES = ['-O3', '-march=native', '-ffast-math', '-funroll-loops', '-fopenmp', '-fno-math-errno', '-fassociative-math', '-ffp-contract=fast', '-fprefetch-loop-arrays'] as const;

export const TEXT_FEATURES = ['text_parallel', 'text_simd', 'vector_ext', 'intrinsics', 'log_lines'] as const;

export const TREE_FEATURES = [
  'parsed',
  'loops',
  'max_depth',
  'innermost',
  'log_work_per_flop',
  'contiguous',
  'strided',
  'invariant',
  'log_accesses_per_flop',
  'reuse_miss_l2',
  'strided_l1_reuse',
  'parallel_work',
  'parallel_outer',
  'log_parallel_trips_per_core',
  'collapse',
  'simd_work',
  'reduction',
  'serial_work',
  'calls',
  'log2_unroll',
  'log2_unroll_jam',
  'tiled',
  'log2_tile',
  'log2_tile_fp_l1',
  'log2_tile_fp_l2',
  'scratch_arrays',
  'log2_scratch_l1',
  'restrict',
  'log_static_cost',
] as const;

export const FEATURE_NAMES = [...CONTEXT_FEATURES, ...FLAG_FEATURES.map((f) => `flag${f}`), ...TEXT_FEATURES, ...TREE_FEATURES] as const;
export const FEATURE_COUNT = FEATURE_NAMES.length;
/** Where the draft's own features start: everything after the context. */
export const DRAFT_FEATURES_FROM = CONTEXT_FEATURES.length;
/** Where the syntax tree's features start (`parsed` first). */
export const TREE_FEATURES_FROM = FEATURE_COUNT - TREE_FEATURES.length;

export interface FeatureContext {
  target: Target;
  profile: DeviceProfile;
  /** Threads candidates run with. */
  cores: number;
  /** Cache sizes the tiling and reuse features are measured against. */
  l1Bytes: number;
  l2Bytes: number;
}

/** L1 and L2 bytes from a profile that lists its memory levels (newer profiles do), else typical values. */
export function cacheSizesOf(profile: DeviceProfile): { l1Bytes: number; l2Bytes: number } {
  const levels = (profile as DeviceProfile & { levels?: { name: string; bytes: number }[] }).levels ?? [];
  const of = (name: string, fallback: number) => levels.find((l) => l.name.toUpperCase() === name)?.bytes ?? fallback;
  return { l1Bytes: of('L1', 32 * 1024), l2Bytes: of('L2', profile.gpu?.l2Bytes ?? 1024 * 1024) };
}

const ln = (v: number) => Math.log(Math.max(v, 1e-30));
const log2 = (v: number) => Math.log2(Math.max(v, 1e-30));
const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The target's flops and bytes at its bench size, and the device's roof time for them (ns). */
export function benchWork(ctx: FeatureContext): { flops: number; bytes: number; roofNs: number } {
  const flops = Math.max(1, evalExpr(ctx.target.flops, ctx.target.benchSize));
  const bytes = Math.max(1, evalExpr(ctx.target.bytes, ctx.target.benchSize));
  const p = ctx.profile;
  const peak = ctx.target.real === 'float' ? p.gflops.fp32.all : p.gflops.fp64.all;
  return { flops, bytes, roofNs: Math.max(flops / Math.max(peak, 1e-9), bytes / Math.max(p.bandwidthGBs.all, 1e-9)) };
}

function parseKernel(source: string, fn: string): { unit: Unit; fn: Func } | undefined {
  try {
    const unit = parseC(source);
    const f = unit.items.find((t): t is Func => t.k === 'func' && t.name === fn);
    return f && { unit, fn: f };
  } catch {
    return undefined;
  }
}

/** The feature vector of a draft (source and flags) for a target on a device; FEATURE_NAMES says what each number is. */
export function featurize(source: string, flags: string[], ctx: FeatureContext): number[] {
  const { target, profile } = ctx;
  const { flops, bytes, roofNs } = benchWork(ctx);
  const context = [ln(flops), ln(bytes), ln(flops / bytes), target.real === 'double' ? 1 : 0, ln(profile.gflops.fp32.all), ln(profile.gflops.fp64.all), ln(profile.bandwidthGBs.all), ln(ctx.cores), ln(roofNs)];
  const flagOn = FLAG_FEATURES.map((f) => (flags.includes(f) ? 1 : 0));
  const text = [
    /#\s*pragma\s+omp\s+parallel/.test(source) ? 1 : 0,
    /#\s*pragma\s+omp\s+(?:parallel\s+for\s+)?(?:for\s+)?simd/.test(source) ? 1 : 0,
    /__attribute__\s*\(\(\s*vector_size/.test(source) ? 1 : 0,
    /\b_mm\d*_\w+\s*\(|\b__m(?:128|256|512)\w*\b|\bsv\w+_f(?:32|64)\b|\bv\w+q_f(?:32|64)\b/.test(source) ? 1 : 0,
    ln(source.split('\n').length),
  ];
  const k = parseKernel(source, target.fn);
  const tree = new Array<number>(TREE_FEATURES.length).fill(0);
  if (k) {
    const elementBytes = target.real === 'float' ? 4 : 8;
    const arrayBytes = Object.fromEntries(target.arrays.filter((a) => a.int).map((a) => [a.name, a.int!.bytes]));
    const n = nestFacts(k.fn, target.benchSize, { cores: ctx.cores, elementBytes, arrayBytes, l1Bytes: ctx.l1Bytes, l2Bytes: ctx.l2Bytes });
    let cost = 1;
    try {
      cost = estimateCost({ unit: k.unit, fn: target.fn, flags, moves: [], kinds: [] }, { sizes: target.benchSize, cores: ctx.cores, vectorLanes: 8, elementBytes, arrayBytes, l1Bytes: ctx.l1Bytes, l2Bytes: ctx.l2Bytes });
    } catch {
      // the cost model's own limits: leave the estimate at 1 (log 0)
    }
    const tileFp = n.tileFootprint;
    tree.splice(
      0,
      tree.length,
      1,
      n.loops,
      n.maxDepth,
      n.innermost,
      ln(Math.max(n.work, 1) / flops),
      n.contiguous,
      n.strided,
      n.invariant,
      ln(Math.max(n.work * n.accesses, 1) / flops),
      n.reuseMissL2,
      n.stridedL1Reuse,
      n.parallelWork,
      n.parallelOuter,
      n.parallelTripsPerCore > 0 ? clip(ln(n.parallelTripsPerCore), -4, 8) : 0,
      n.collapse ? 1 : 0,
      n.simdWork,
      n.reduction ? 1 : 0,
      n.serialWork,
      n.calls,
      log2(n.unroll),
      log2(n.unrollJam),
      n.tiled ? 1 : 0,
      n.tiled ? log2(n.tileSize) : 0,
      tileFp ? clip(log2(tileFp / ctx.l1Bytes), -8, 16) : 0,
      tileFp ? clip(log2(tileFp / ctx.l2Bytes), -12, 12) : 0,
      n.scratchArrays,
      n.scratchBytes ? clip(log2(n.scratchBytes / ctx.l1Bytes), -12, 12) : 0,
      n.restrict ? 1 : 0,
      Number.isFinite(cost) && cost > 0 ? ln(cost) : 0,
    );
  }
  const x = [...context, ...flagOn, ...text, ...tree];
  return x.map((v) => (Number.isFinite(v) ? v : 0));
}

/** A feature vector as name → value (for people and tests). */
export function named(x: number[]): Record<string, number> {
  return Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, x[i]]));
}
