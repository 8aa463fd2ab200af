/**
 * How good a compute model's predictions were, over predictions each made before the model trained
 * on that candidate (the loop records a prediction when the draft arrives and trains only after
 * timing it), so these are out-of-sample figures.
 */
export interface QualityPair {
  predictedNs: number;
  measuredNs: number;
  /** Speedups over the baseline the candidate was timed against, when known. */
  predictedSpeedup?: number;
  measuredSpeedup?: number;
}

export interface ModelQuality {
  /** Pairs scored. */
  n: number;
  /**
   * Spearman rank correlation of predicted and measured speedup over the baseline: the order the
   * model would rank candidates in (absolute times across targets would correlate almost
   * perfectly whatever the model, since the baseline's time says most of it).
   */
  spearman?: number;
  /** Spearman rank correlation of predicted and measured times. */
  spearmanNs?: number;
  /** Median of |predicted / measured − 1|, in %. */
  medianAbsErrorPct?: number;
}

/** Ranks from 1, ties sharing their average rank. */
export function ranks(v: number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson's over ranks, so ties are handled); undefined under 3 pairs or with no variation. */
export function spearman(a: number[], b: number[]): number | undefined {
  if (a.length !== b.length || a.length < 3) return undefined;
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (ra.length + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < ra.length; i++) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) ** 2;
    sbb += (rb[i] - mean) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : undefined;
}

export function median(v: number[]): number | undefined {
  if (!v.length) return undefined;
  const s = [...v].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function modelQuality(pairs: QualityPair[]): ModelQuality {
  const ok = pairs.filter((p) => p.predictedNs > 0 && p.measuredNs > 0);
  const withSpeedups = ok.filter((p) => p.predictedSpeedup! > 0 && p.measuredSpeedup! > 0);
  return {
    n: ok.length,
    spearman: spearman(
      withSpeedups.map((p) => p.predictedSpeedup!),
      withSpeedups.map((p) => p.measuredSpeedup!),
    ),
    spearmanNs: spearman(
      ok.map((p) => p.predictedNs),
      ok.map((p) => p.measuredNs),
    ),
    medianAbsErrorPct: ok.length ? 100 * median(ok.map((p) => Math.abs(p.predictedNs / p.measuredNs - 1)))! : undefined,
  };
}

/** One line for people: a run's model quality (the log line of model.quality and the summary's footer). */
export function describeModelQuality(name: string, trained: number, q: ModelQuality): string {
  const r = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(2));
  const body = q.n
    ? `${q.n} candidates predicted before it trained on them: rank correlation ${r(q.spearman)} on speedups (${r(q.spearmanNs)} on times), median |error| ${q.medianAbsErrorPct === undefined ? '–' : `${q.medianAbsErrorPct.toFixed(1)}%`}`
    : 'no measured candidate of this run was predicted (it predicts once it has a few measurements)';
  return `compute model ${name}: ${body}; trained on ${trained} measurements on this device`;
}
