import { symEigen } from './sym-eigen.js';

/** What an OnlineRidge keeps: counts, means, co-moments and ranges of (x, y); nothing grows with the data. */
export interface RidgeState {
  version: 1;
  dims: number;
  /** False: the fit goes through the origin (y = 0 where x = 0). */
  intercept: boolean;
  n: number;
  /** Means of x (dims) and y (last). */
  mean: number[];
  /** Co-moments Σ(u−ū)(u−ū)ᵀ of u = (x, y), packed lower triangle (row i holds columns 0..i). */
  m2: number[];
  /** The smallest and largest value of each of x and y trained on (null before the first point). */
  min: (number | null)[];
  max: (number | null)[];
}

export interface RidgeFit {
  /** The prediction at x = 0 (fits through the origin) or at the mean of x (with an intercept). */
  intercept: number;
  /** Coefficients in units of x (for people and tests). */
  beta: number[];
  lambda: number;
  /** Effective number of parameters at that lambda (the intercept included). */
  df: number;
  /** Residual standard deviation (units of y). */
  sigma: number;
}

export interface RidgeOptions {
  /** False: the fit goes through the origin (y = 0 where x = 0). */
  intercept: boolean;
  /**
   * Coefficients to shrink towards instead of zero (units of x; absent: zeros): what is believed
   * before any data. The penalty then weighs the data against this belief, and with no data the
   * prediction is the prior's.
   */
  prior?: number[];
}

const tri = (i: number, j: number) => (i >= j ? (i * (i + 1)) / 2 + j : (j * (j + 1)) / 2 + i);

/**
 * Penalties tried, in units of points: X'X of the scaled features has n on its diagonal, so a
 * penalty of 1 weighs like one observation per direction; the smallest keeps a handful of points
 * from being interpolated.
 */
const LAMBDAS = Array.from({ length: 25 }, (_, i) => 10 ** (i * 0.25));

/** Predictions stay within this much (units of y) of the range of y trained on. */
const Y_MARGIN = Math.log(2);

/**
 * Ridge regression, trained online. Each update folds one (x, y) into running means and co-moments
 * (Welford's update: stable, O(d²), the same state whatever the order); a fit scales the features
 * to unit spread (a feature that never varied is left out), eigendecomposes the scaled X'X once,
 * and picks the penalty by generalised cross-validation (which needs only those statistics, not the
 * points), so the model is as flexible as its data can support: heavily shrunk with ten points,
 * close to least squares with thousands. With `intercept: false` the fit goes through the origin
 * (the moments are taken about zero). A prediction does not extrapolate: each feature is clipped to
 * the range training saw, and the result to the range of y trained on, widened by a factor of 2.
 */
export class OnlineRidge {
  private n = 0;
  private mean: number[];
  private m2: number[];
  private min: number[];
  private max: number[];
  private fitted?: RidgeFit & { betaScaled: number[]; scale: number[] };

  constructor(
    readonly dims: number,
    readonly opts: RidgeOptions = { intercept: true },
  ) {
    this.mean = new Array<number>(dims + 1).fill(0);
    this.m2 = new Array<number>(((dims + 1) * (dims + 2)) / 2).fill(0);
    this.min = new Array<number>(dims + 1).fill(Infinity);
    this.max = new Array<number>(dims + 1).fill(-Infinity);
  }

  /** Points trained on. */
  get count(): number {
    return this.n;
  }

  update(x: number[], y: number): void {
    if (x.length !== this.dims) throw new Error(`OnlineRidge: expected ${this.dims} features, got ${x.length}`);
    if (!Number.isFinite(y) || x.some((v) => !Number.isFinite(v))) return;
    const u = [...x, y];
    this.n++;
    const delta = u.map((v, i) => v - this.mean[i]);
    for (let i = 0; i < u.length; i++) this.mean[i] += delta[i] / this.n;
    for (let i = 0; i < u.length; i++) for (let j = 0; j <= i; j++) this.m2[tri(i, j)] += delta[i] * (u[j] - this.mean[j]);
    u.forEach((v, i) => {
      this.min[i] = Math.min(this.min[i], v);
      this.max[i] = Math.max(this.max[i], v);
    });
    this.fitted = undefined;
  }

  /** Second moment of u_i, u_j about the mean (with an intercept) or about zero (through the origin). */
  private moment(i: number, j: number): number {
    return this.m2[tri(i, j)] + (this.opts.intercept ? 0 : this.n * this.mean[i] * this.mean[j]);
  }

  /** The fit for the data so far (cached until the next update); undefined with fewer than 2 points. */
  fit(): RidgeFit | undefined {
    if (this.fitted || this.n < 2) return this.fitted;
    const d = this.dims;
    const y = d;
    const base = this.opts.intercept ? 1 : 0;
    const scale = Array.from({ length: d }, (_, j) => Math.sqrt(Math.max(this.moment(j, j), 0) / this.n));
    const active = scale.map((_, j) => j).filter((j) => scale[j] > 1e-9);
    // Shrinking towards a prior β0 is ridge on the residual y − x·β0, whose moments follow from these.
    const p0 = this.opts.prior ?? [];
    const xp = (i: number) => p0.reduce((acc, b, j) => (b ? acc + b * this.moment(i, j) : acc), 0);
    const xy = (i: number) => this.moment(i, y) - xp(i);
    const yy = Math.max(this.moment(y, y) - 2 * p0.reduce((acc, b, j) => (b ? acc + b * this.moment(j, y) : acc), 0) + p0.reduce((acc, b, j) => (b ? acc + b * xp(j) : acc), 0), 0);
    const betaScaled = new Array<number>(d).fill(0);
    let best = { lambda: 0, score: Infinity, rss: yy, df: base };
    if (active.length) {
      // Scaled: a[p][q] = Σ z_p z_q (n on the diagonal), b[p] = Σ z_p y.
      const a = active.map((i) => active.map((j) => this.moment(i, j) / (scale[i] * scale[j])));
      const b = active.map((j) => xy(j) / scale[j]);
      const { values, vectors } = symEigen(a);
      const e = values.map((v) => Math.max(v, 0));
      const c = e.map((_, k) => active.reduce((acc, _j, i) => acc + vectors[i][k] * b[i], 0));
      for (const lambda of LAMBDAS) {
        let df = base;
        let explained = 0;
        for (let k = 0; k < e.length; k++) {
          df += e[k] / (e[k] + lambda);
          explained += (c[k] * c[k] * (e[k] + 2 * lambda)) / ((e[k] + lambda) * (e[k] + lambda));
        }
        const rss = Math.max(yy - explained, 1e-12 * yy);
        const dof = this.n - df;
        const score = dof > 0.5 ? rss / (dof * dof) : Infinity;
        if (score < best.score) best = { lambda, score, rss, df };
      }
      if (!Number.isFinite(best.score)) best = { lambda: LAMBDAS[LAMBDAS.length - 1], score: Infinity, rss: yy, df: base };
      const coef = e.map((ek, k) => c[k] / (ek + best.lambda));
      active.forEach((j, i) => (betaScaled[j] = vectors[i].reduce((acc, v, k) => acc + v * coef[k], 0)));
    }
    const beta = betaScaled.map((bj, j) => (scale[j] > 1e-9 ? bj / scale[j] : 0) + (p0[j] ?? 0));
    const intercept = this.opts.intercept ? this.mean[y] : 0;
    this.fitted = { intercept, beta, betaScaled, scale, lambda: best.lambda, df: best.df, sigma: Math.sqrt(best.rss / Math.max(1, this.n - best.df)) };
    return this.fitted;
  }

  /**
   * The prediction for x: the prior's part as it stands, the learned part with each feature clipped
   * to the range training saw (through the origin, that range includes 0), and the whole kept
   * within a factor of 2 of the y trained on (or of the prior's own prediction). Undefined with
   * fewer than 2 points and no prior.
   */
  predict(x: number[]): number | undefined {
    const p0 = this.opts.prior ?? [];
    const prior = p0.reduce((acc, b, j) => (b && Number.isFinite(x[j]) ? acc + b * (x[j] - (this.opts.intercept ? this.mean[j] : 0)) : acc), 0);
    const f = this.fit();
    if (!f) return this.opts.prior ? prior : undefined;
    let yhat = f.intercept + prior;
    for (let j = 0; j < this.dims; j++) {
      const learned = f.beta[j] - (p0[j] ?? 0);
      if (!learned || !Number.isFinite(x[j])) continue;
      const [lo, hi] = this.opts.intercept ? [this.min[j], this.max[j]] : [Math.min(this.min[j], 0), Math.max(this.max[j], 0)];
      const xj = Math.max(lo, Math.min(hi, x[j]));
      yhat += learned * (this.opts.intercept ? xj - this.mean[j] : xj);
    }
    const origin = this.opts.intercept ? [] : [0];
    const lo = Math.min(this.min[this.dims], prior, ...origin);
    const hi = Math.max(this.max[this.dims], prior, ...origin);
    return Math.max(lo - Y_MARGIN, Math.min(hi + Y_MARGIN, yhat));
  }

  toJSON(): RidgeState {
    const r = (v: number[]) => v.map((x) => (Number.isFinite(x) ? x : null));
    return { version: 1, dims: this.dims, intercept: this.opts.intercept, n: this.n, mean: [...this.mean], m2: [...this.m2], min: r(this.min), max: r(this.max) };
  }

  /** A regressor from its JSON, or why the JSON is not one (another version, other dimensions or form, damaged). */
  static fromJSON(v: unknown, dims: number, opts: RidgeOptions = { intercept: true }): OnlineRidge | string {
    const r = v as Partial<RidgeState> | null;
    if (typeof r !== 'object' || r === null) return 'not an object';
    if (r.version !== 1) return `regressor version ${String(r.version)}, expected 1`;
    if (r.dims !== dims) return `${String(r.dims)} features, expected ${dims}`;
    if (r.intercept !== opts.intercept) return `a fit ${r.intercept ? 'with' : 'without'} an intercept, expected ${opts.intercept ? 'with' : 'without'}`;
    const nums = (a: unknown, len: number) => Array.isArray(a) && a.length === len && a.every((x) => typeof x === 'number' && Number.isFinite(x));
    const ranges = (a: unknown) => Array.isArray(a) && a.length === dims + 1 && a.every((x) => (r.n === 0 ? x === null : typeof x === 'number' && Number.isFinite(x)));
    if (typeof r.n !== 'number' || !Number.isInteger(r.n) || r.n < 0 || !nums(r.mean, dims + 1) || !nums(r.m2, ((dims + 1) * (dims + 2)) / 2) || !ranges(r.min) || !ranges(r.max)) return 'damaged statistics';
    const out = new OnlineRidge(dims, opts);
    out.n = r.n;
    out.mean = [...r.mean!];
    out.m2 = [...r.m2!];
    if (r.n > 0) {
      out.min = r.min as number[];
      out.max = r.max as number[];
    }
    return out;
  }
}
