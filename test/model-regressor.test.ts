import { describe, expect, it } from 'vitest';
import { Rng } from '../common/index.js';
import { Cm1Model, CM1_INPUTS, CM1_PRIOR, FEATURE_COUNT, FEATURE_NAMES, modelQuality, OnlineRidge, ranks, spearman } from '../model/index.js';
import { symEigen } from '../model/sym-eigen.js';

/** A synthetic task: y from 3 of 12 features, plus noise; one feature never varies. */
function synthetic(rng: Rng, n: number): { x: number[]; y: number }[] {
  return Array.from({ length: n }, () => {
    const x = Array.from({ length: 12 }, (_, j) => (j === 11 ? 5 : rng.next() * 4 - 2));
    const y = 1.5 * x[0] - 0.8 * x[3] + 0.3 * x[7] + 0.2 * x[0] * x[3] + 0.1 * (rng.next() - 0.5) + 10;
    return { x, y };
  });
}

describe('online ridge regression', () => {
  it('learns a function well enough to rank points it never saw', () => {
    const rng = new Rng(7);
    const r = new OnlineRidge(12);
    for (const p of synthetic(rng, 200)) r.update(p.x, p.y);
    const test = synthetic(rng, 100);
    const rho = spearman(
      test.map((p) => r.predict(p.x)!),
      test.map((p) => p.y),
    )!;
    expect(rho).toBeGreaterThan(0.95);
    const f = r.fit()!;
    expect(f.beta[0]).toBeCloseTo(1.5, 1);
    expect(f.beta[3]).toBeCloseTo(-0.8, 1);
    expect(f.beta[11]).toBe(0); // never varied: left out
  });

  it('with few points, shrinks hard instead of interpolating noise', () => {
    const rng = new Rng(3);
    const r = new OnlineRidge(12);
    for (const p of synthetic(rng, 6)) r.update(p.x, p.y);
    const f = r.fit()!;
    expect(f.df).toBeLessThan(5);
    expect(f.beta.every(Number.isFinite)).toBe(true);
    expect(new OnlineRidge(3).predict([1, 2, 3])).toBeUndefined();
  });

  it('is the same after a JSON round trip, and refuses JSON that is not its own', () => {
    const rng = new Rng(11);
    const r = new OnlineRidge(12);
    for (const p of synthetic(rng, 50)) r.update(p.x, p.y);
    const back = OnlineRidge.fromJSON(JSON.parse(JSON.stringify(r)), 12);
    expect(back).toBeInstanceOf(OnlineRidge);
    const x = synthetic(rng, 1)[0].x;
    expect((back as OnlineRidge).predict(x)).toBeCloseTo(r.predict(x)!, 10);
    expect(OnlineRidge.fromJSON(JSON.parse(JSON.stringify(r)), 13)).toMatch(/features, expected 13/);
    expect(OnlineRidge.fromJSON({ ...r.toJSON(), m2: [1, 2] }, 12)).toBe('damaged statistics');
    expect(OnlineRidge.fromJSON('x', 12)).toBe('not an object');
  });

  it('through the origin and from a prior: shrinks towards the prior, predicts 0 at x = 0, and does not extrapolate past what it saw', () => {
    const rng = new Rng(13);
    const r = new OnlineRidge(3, { intercept: false, prior: [0.5, 0, 0] });
    expect(r.predict([2, 0, 0])).toBeCloseTo(1, 12); // no data: the prior
    for (let i = 0; i < 40; i++) {
      const x = [rng.next() * 2 - 1, rng.next() * 2 - 1, rng.next() < 0.5 ? 0 : 0.1];
      r.update(x, 1.0 * x[0] - 2 * x[1] + 0.01 * (rng.next() - 0.5));
    }
    const f = r.fit()!;
    expect(f.intercept).toBe(0);
    expect(Math.abs(f.beta[0] - 1)).toBeLessThan(0.1);
    expect(Math.abs(f.beta[1] + 2)).toBeLessThan(0.1);
    expect(r.predict([0, 0, 0])).toBeCloseTo(0, 9);
    // far outside the training range: clipped to it, and y kept within 2x of the ys seen
    expect(r.predict([0, -100, 0])!).toBeLessThan(2 + Math.log(2) + 0.1);
  });

  it('eigendecomposes a symmetric matrix', () => {
    const a = [
      [4, 1, 2],
      [1, 3, 0],
      [2, 0, 5],
    ];
    const { values, vectors } = symEigen(a);
    for (let k = 0; k < 3; k++)
      for (let i = 0; i < 3; i++) {
        const av = a[i].reduce((s, aij, j) => s + aij * vectors[j][k], 0);
        expect(av).toBeCloseTo(values[k] * vectors[i][k], 9);
      }
    expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(12, 9);
  });
});

describe('prediction quality', () => {
  it('Spearman: 1 for the same order, -1 reversed, ties at their average rank, undefined when it cannot say', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 400])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(ranks([5, 1, 5, 3])).toEqual([3.5, 1, 3.5, 2]);
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12); // scipy.stats.spearmanr
    expect(spearman([1, 2], [1, 2])).toBeUndefined();
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeUndefined();
  });

  it('median |error| in %, rank correlation on speedups and on times', () => {
    const q = modelQuality([
      { predictedNs: 110, measuredNs: 100, predictedSpeedup: 2, measuredSpeedup: 1.5 },
      { predictedNs: 180, measuredNs: 200, predictedSpeedup: 1, measuredSpeedup: 1.2 },
      { predictedNs: 300, measuredNs: 200, predictedSpeedup: 3, measuredSpeedup: 2 },
      { predictedNs: 0, measuredNs: 200 }, // not a prediction: left out
    ]);
    expect(q.n).toBe(3);
    expect(q.medianAbsErrorPct).toBeCloseTo(10, 9);
    expect(q.spearman).toBeCloseTo(1, 12);
    expect(q.spearmanNs).toBeCloseTo(0.866, 3);
    expect(modelQuality([])).toEqual({ n: 0, spearman: undefined, spearmanNs: undefined, medianAbsErrorPct: undefined });
  });
});

describe('CM1', () => {
  const query = (rng: Rng) => {
    const baseline = Array.from({ length: FEATURE_COUNT }, () => rng.next());
    const features = baseline.map((v) => v + (rng.next() < 0.3 ? rng.next() - 0.5 : 0));
    baseline[FEATURE_COUNT - 29] = features[FEATURE_COUNT - 29] = 1; // parsed
    return { features, baseline, baselineNs: 1e6 };
  };

  it('predicts from the start: the static cost model’s ratio, damped; then learns what the data says, and a draft that changes nothing is predicted at its baseline’s time', () => {
    const rng = new Rng(5);
    const m = new Cm1Model();
    const base = query(rng);
    const omp = FEATURE_NAMES.indexOf('flag-fopenmp');
    const fast = FEATURE_NAMES.indexOf('flag-ffast-math');
    const cost = FEATURE_NAMES.indexOf('log_static_cost');
    const draft = (change: Record<number, number>) => ({ ...base, features: base.baseline.map((v, i) => v + (change[i] ?? 0)) });
    // untrained: a quarter of the static estimate is 4^0.6 times faster
    expect(m.predict(draft({ [cost]: -Math.log(4) }))!.speedup).toBeCloseTo(4 ** CM1_PRIOR[CM1_INPUTS.indexOf('Δlog_static_cost')], 6);
    expect(m.predict(draft({ [omp]: 1 }))!.speedup).toBeCloseTo(1, 9);
    // -fopenmp made every candidate 2x faster, whatever else it did
    for (let i = 0; i < 12; i++) m.update(draft(i % 2 ? { [omp]: 1, [fast]: 1 } : { [omp]: 1 }), 5e5, 2);
    const p = m.predict(draft({ [omp]: 1 }))!;
    expect(p.trained).toBe(12);
    expect(p.speedup).toBeGreaterThan(1.6);
    expect(p.ns).toBeCloseTo(1e6 / p.speedup, 6);
    expect(m.predict(draft({}))!.speedup).toBeCloseTo(1, 9);
    expect(m.predict(draft({ [fast]: 1 }))!.speedup).toBeLessThan(1.25);
  });

  it('restores from its JSON; memory holding something else, or another version’s model, gives a fresh model and says why', () => {
    const rng = new Rng(9);
    const m = new Cm1Model();
    for (let i = 0; i < 10; i++) m.update(query(rng), 1e6, 1 + i / 10);
    const q = query(rng);
    const back = Cm1Model.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(back.ignored).toBeUndefined();
    expect(back.model.trained).toBe(10);
    expect(back.model.predict(q)!.ns).toBeCloseTo(m.predict(q)!.ns, 6);
    expect(Cm1Model.fromJSON(undefined).ignored).toBeUndefined();
    expect(Cm1Model.fromJSON(42).ignored).toBe('not a CM1 model');
    expect(Cm1Model.fromJSON({ ...m.toJSON(), signature: 'cm1/0/old' }).ignored).toMatch(/another kloop version/);
    expect(Cm1Model.fromJSON({ ...m.toJSON(), ridge: { version: 1, dims: CM1_INPUTS.length, intercept: false, n: 3, mean: [], m2: [] } }).ignored).toBe('damaged statistics');
    expect(Cm1Model.fromJSON({ ...m.toJSON(), ridge: { ...(m.toJSON().ridge as object), intercept: true } }).ignored).toMatch(/with an intercept/);
  });
});
