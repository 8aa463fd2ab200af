import { symEigen } from './sym-eigen.js';

/** What an OnlineRidge keeps: counts, means and co-moments of (x, y); nothing grows with the data. */
export interface RidgeState {
  version: 1;
  dims: number;
  n: number;
  /** Means of x (dims) and y (last). */
  mean: number[];
  /** Co-moments Σ(u−ū)(u−ū)ᵀ of u = (x, y), packed lower triangle (row i holds columns 0..i). */
  m2: number[];
}

export interface RidgeFit {
  intercept: number;
  beta: number[];
  lambda: number;
  /** Effective number of parameters at that lambda (plus the intercept). */
  df: number;
  /** Residual standard deviation (units of y). */
  sigma: number;
}

const tri = (i: number, j: number) => (i >= j ? (i * (i + 1)) / 2 + j : (j * (j + 1)) / 2 + i);

/** Penalties tried, relative to the standardised X'X (whose trace is the number of features). */
const LAMBDAS = Array.from({ length: 29 }, (_, i) => 10 ** (-4 + i * 0.25));

/**
 * Ridge regression, trained online. Each update folds one (x, y) into running means and co-moments
 * (Welford's update: stable, O(d²), the same state whatever the order); a fit standardises the
 * features (a feature that never varied is left out), eigendecomposes the standardised X'X once,
 * and picks the penalty by generalised cross-validation (which needs only those statistics, not the
 * points), so the model is as flexible as its data can support: heavily shrunk with ten points,
 * close to least squares with thousands.
 */
export class OnlineRidge {
  private n = 0;
  private mean: number[];
  private m2: number[];
  private fitted?: RidgeFit;

  constructor(readonly dims: number) {
    this.mean = new Array<number>(dims + 1).fill(0);
    this.m2 = new Array<number>(((dims + 1) * (dims + 2)) / 2).fill(0);
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
    this.fitted = undefined;
  }

  /** The fit for the data so far (cached until the next update); undefined with fewer than 2 points. */
  fit(): RidgeFit | undefined {
    if (this.fitted || this.n < 2) return this.fitted;
    const d = this.dims;
    const y = d;
    const active = Array.from({ length: d }, (_, j) => j).filter((j) => this.m2[tri(j, j)] / this.n > 1e-12);
    const s = active.map((j) => Math.sqrt(this.m2[tri(j, j)]));
    const yy = Math.max(this.m2[tri(y, y)], 0);
    const beta = new Array<number>(d).fill(0);
    if (!active.length) {
      this.fitted = { intercept: this.mean[y], beta, lambda: 0, df: 1, sigma: Math.sqrt(yy / Math.max(1, this.n - 1)) };
      return this.fitted;
    }
    const a = active.map((i, p) => active.map((j, q) => this.m2[tri(i, j)] / (s[p] * s[q])));
    const b = active.map((j, p) => this.m2[tri(j, y)] / s[p]);
    const { values, vectors } = symEigen(a);
    const e = values.map((v) => Math.max(v, 0));
    const c = e.map((_, k) => active.reduce((acc, _j, i) => acc + vectors[i][k] * b[i], 0));
    let best = { lambda: LAMBDAS[LAMBDAS.length - 1], score: Infinity, rss: yy, df: 1 };
    for (const lambda of LAMBDAS) {
      let df = 1;
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
    const coef = e.map((ek, k) => c[k] / (ek + best.lambda));
    active.forEach((j, i) => (beta[j] = vectors[i].reduce((acc, v, k) => acc + v * coef[k], 0) / s[i]));
    const intercept = this.mean[y] - beta.reduce((acc, bj, j) => acc + bj * this.mean[j], 0);
    this.fitted = { intercept, beta, lambda: best.lambda, df: best.df, sigma: Math.sqrt(best.rss / Math.max(1, this.n - best.df)) };
    return this.fitted;
  }

  predict(x: number[]): number | undefined {
    const f = this.fit();
    if (!f) return undefined;
    return f.intercept + f.beta.reduce((acc, bj, j) => acc + bj * (Number.isFinite(x[j]) ? x[j] : this.mean[j]), 0);
  }

  toJSON(): RidgeState {
    return { version: 1, dims: this.dims, n: this.n, mean: [...this.mean], m2: [...this.m2] };
  }

  /** A regressor from its JSON, or why the JSON is not one (another version, other dimensions, damaged). */
  static fromJSON(v: unknown, dims: number): OnlineRidge | string {
    const r = v as Partial<RidgeState> | null;
    if (typeof r !== 'object' || r === null) return 'not an object';
    if (r.version !== 1) return `regressor version ${String(r.version)}, expected 1`;
    if (r.dims !== dims) return `${String(r.dims)} features, expected ${dims}`;
    const nums = (a: unknown, len: number) => Array.isArray(a) && a.length === len && a.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (typeof r.n !== 'number' || !Number.isInteger(r.n) || r.n < 0 || !nums(r.mean, dims + 1) || !nums(r.m2, ((dims + 1) * (dims + 2)) / 2)) return 'damaged statistics';
    const out = new OnlineRidge(dims);
    out.n = r.n;
    out.mean = [...r.mean!];
    out.m2 = [...r.m2!];
    return out;
  }
}
