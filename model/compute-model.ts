import { shortHash } from '../common/index.js';
import { DRAFT_FEATURES_FROM, FEATURE_NAMES, TREE_FEATURES_FROM } from './features.js';
import { OnlineRidge } from './regressor.js';

/**
 * What the model is asked about: a draft's features (features.ts), its baseline's, and the
 * baseline's measured time at the bench size (known before anything is built: the profiler
 * measured it at the round's start).
 */
export interface ModelQuery {
  features: number[];
  baseline: number[];
  baselineNs: number;
}

export interface Prediction {
  /** Predicted median time at the bench size. */
  ns: number;
  /** The same as a speedup over the baseline (baselineNs / ns). */
  speedup: number;
  /** Measurements the model had trained on when it predicted. */
  trained: number;
  /** Residual standard deviation of log time: about how far off a prediction has been. */
  spread: number;
}

/** A compute model: predicts a candidate's time before it is built; learns from each measured one. */
export interface ComputeModel {
  readonly name: string;
  /** Measurements trained on, all runs together. */
  readonly trained: number;
  /** Undefined while the model has too few measurements to say anything. */
  predict(q: ModelQuery): Prediction | undefined;
  /** A measured candidate: its median time, and its speedup over the baseline from interleaved pairs when timed so. */
  update(q: ModelQuery, measuredNs: number, speedup?: number): void;
  toJSON(): unknown;
}

const idx = (name: string) => {
  const i = (FEATURE_NAMES as readonly string[]).indexOf(name);
  if (i < 0) throw new Error(`no feature ${name}`);
  return i;
};
const PARSED = idx('parsed');
const ROOF = idx('log_roof_ns');
const PEAK32 = idx('log_peak_fp32');
const PEAK64 = idx('log_peak_fp64');
const FP64 = idx('fp64');
const FLOPS = idx('log_flops');
const BYTES = idx('log_bytes');
const BANDWIDTH = idx('log_bandwidth');
const DRAFT = FEATURE_NAMES.slice(DRAFT_FEATURES_FROM);
/** Changes whose effect depends on whether the kernel is bound by compute or by memory. */
const BY_BOUND = ['text_parallel', 'text_simd', 'vector_ext', 'parallel_work', 'simd_work', 'flag-ffast-math', 'tiled', 'reuse_miss_l2', 'log2_unroll', 'log_static_cost'].map(idx);

/** The regressor's inputs, named (for tests and people). */
export const CM1_INPUTS = [...DRAFT.map((n) => `Δ${n}`), 'unparsed', ...DRAFT.map((n) => `Δ${n}×headroom`), 'unparsed×headroom', ...BY_BOUND.map((i) => `Δ${FEATURE_NAMES[i]}×bound`)] as const;

/**
 * What CM1 believes before it has measured anything: the static cost model's ratio, damped (log
 * time changes by 0.6 of the change of the log static estimate: the slope fitted on the first runs
 * CM1 learned from, 84 candidates of the seven shipped targets). The data moves it from there.
 */
export const CM1_PRIOR = CM1_INPUTS.map((n) => (n === 'Δlog_static_cost' ? 0.6 : 0));

/** Changes when the inputs or the prior change: a model stored with other inputs is not reused. */
export const CM1_SIGNATURE = `cm1/2/${shortHash(...CM1_INPUTS, ...CM1_PRIOR.map(String))}`;

/** With fewer measurements than this, CM1 makes no prediction. */
export const CM1_MIN_TRAINED = 0;

/**
 * CM1's formulation: it predicts log(candidate time / baseline time) — minus the log of the
 * speedup — from what the draft changed (its features minus the baseline's), alone and times the
 * baseline's headroom (log of its measured time over the roof time: a change that helps far from
 * the roof helps less near it) and, for changes that help one kind of kernel, times how
 * compute-bound the target is (log of its compute time over its memory time at the peaks); then it
 * multiplies back by the baseline's measured time. Predicting log time outright would spend the
 * model on what the profiler has already measured (a 1-GFLOP matmul takes longer than a 1-MB sum,
 * whatever was done to it) and be judged mostly on that; the ratio is what ranks proposals against
 * each other, and it transfers across targets: adding `omp parallel` to the outer loop of a kernel
 * with headroom does much the same on any of them. Every input is zero for a draft that changes
 * nothing, and the fit has no intercept, so such a draft is predicted at its baseline's time, a
 * fact rather than something to learn. A draft outside the parsable subset contributes its flags
 * and text features and an `unparsed` indicator.
 */
export function cm1Inputs(q: ModelQuery): number[] {
  const { features: x, baseline: b } = q;
  const parsed = x[PARSED] === 1 && b[PARSED] === 1;
  const delta = (i: number) => (i >= TREE_FEATURES_FROM && !parsed ? 0 : x[i] - b[i]);
  const changes = DRAFT.map((_, k) => delta(DRAFT_FEATURES_FROM + k));
  const unparsed = x[PARSED] === 1 ? 0 : 1;
  const headroom = Math.max(0, Math.log(Math.max(q.baselineNs, 1e-3)) - x[ROOF]);
  // ln(compute time at peak / memory time at peak bandwidth), both in ns.
  const bound = x[FLOPS] - (x[FP64] ? x[PEAK64] : x[PEAK32]) - (x[BYTES] - x[BANDWIDTH]);
  return [...changes, unparsed, ...changes.map((c) => c * headroom), unparsed * headroom, ...BY_BOUND.map((i) => delta(i) * bound)];
}

export interface Cm1Json {
  kind: 'cm1';
  signature: string;
  ridge: unknown;
  updatedAt?: string;
}

/** CM1: online ridge regression (regressor.ts) through the origin over cm1Inputs. */
export class Cm1Model implements ComputeModel {
  readonly name = 'CM1';
  constructor(private readonly ridge = new OnlineRidge(CM1_INPUTS.length, { intercept: false, prior: CM1_PRIOR })) {}

  get trained(): number {
    return this.ridge.count;
  }

  predict(q: ModelQuery): Prediction | undefined {
    if (this.ridge.count < CM1_MIN_TRAINED || !(q.baselineNs > 0)) return undefined;
    const y = this.ridge.predict(cm1Inputs(q));
    if (y === undefined || !Number.isFinite(y)) return undefined;
    const r = Math.exp(y);
    return { ns: q.baselineNs * r, speedup: 1 / r, trained: this.ridge.count, spread: this.ridge.fit()?.sigma ?? Infinity };
  }

  update(q: ModelQuery, measuredNs: number, speedup?: number): void {
    // The interleaved pairs' speedup is the better measurement of the ratio (the machine's drift
    // cancels within a pair); the two medians, timed apart, are the fallback.
    const y = speedup && speedup > 0 ? -Math.log(speedup) : Math.log(measuredNs / q.baselineNs);
    if (Number.isFinite(y)) this.ridge.update(cm1Inputs(q), y);
  }

  toJSON(): Cm1Json {
    return { kind: 'cm1', signature: CM1_SIGNATURE, ridge: this.ridge.toJSON() };
  }

  /** CM1 from what memory holds: a fresh model, with why, when it holds none or one this kloop cannot use. */
  static fromJSON(v: unknown): { model: Cm1Model; ignored?: string } {
    if (v === undefined || v === null) return { model: new Cm1Model() };
    const j = v as Partial<Cm1Json>;
    if (typeof j !== 'object' || j.kind !== 'cm1') return { model: new Cm1Model(), ignored: 'not a CM1 model' };
    if (j.signature !== CM1_SIGNATURE) return { model: new Cm1Model(), ignored: 'its features are another kloop version’s' };
    const ridge = OnlineRidge.fromJSON(j.ridge, CM1_INPUTS.length, { intercept: false, prior: CM1_PRIOR });
    if (typeof ridge === 'string') return { model: new Cm1Model(), ignored: ridge };
    return { model: new Cm1Model(ridge) };
  }
}
