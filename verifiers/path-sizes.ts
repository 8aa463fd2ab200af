import { evalExpr, type Size, type Target } from '../targets/index.js';
import { sizeCeilings } from './c-int-types.js';
import type { SizeAnalysis, SizePath } from './size-path-types.js';

export interface PathBudget {
  /** Largest work (the target's flops expression) of one size-path case. */
  caseWork: number;
  /** Largest number of elements over all arrays of one case. */
  caseElements: number;
  /** Most size-path cases per candidate. */
  maxCases: number;
}

/** `swept`: the sizes of a recursion's sweep (see `sweepSizes`). */
export type PathSizes = { sizes: Size[]; swept: Size[]; paths: number } | { untestable: string; line?: number };

const SMALL = 160;

/**
 * Sizes that put every size-dependent path on both sides of its boundary, jointly across the
 * dimensions it depends on: each dimension alone at the boundary (the others small), all of them
 * together at it (the diagonal), and, where the side is a known function of the sizes, the sizes
 * where that function crosses the boundary. A required size above the budget rejects (fail closed).
 */
export function pathSizes(t: Target, analysis: SizeAnalysis, budget: PathBudget, elements: (z: Size) => number): PathSizes {
  if (analysis.opaque.length) {
    const o = analysis.opaque[0];
    return { untestable: o.why ?? `compares a size with a value that no static reading can compute (\`${o.text}\`), so the sizes where its behaviour changes cannot be chosen`, line: o.line };
  }
  const lo: Size = {};
  for (const s of t.sizeSymbols) lo[s] = Math.max(1, t.limits[s].min);
  const base: Size = { ...lo };
  for (const z of t.checkSizes) for (const s of t.sizeSymbols) base[s] = Math.max(base[s], Math.min(z[s], SMALL));
  const clampMin = (z: Size) => {
    const out: Size = {};
    for (const s of t.sizeSymbols) out[s] = Math.max(t.limits[s].min, Math.round(z[s]));
    return out;
  };
  const required = new Map<string, { z: Size; p: SizePath }>();
  const optional = new Map<string, Size>();
  const need = (z: Size, p: SizePath) => {
    const c = clampMin(z);
    required.set(JSON.stringify(c), { z: c, p });
  };
  const maybe = (z: Size) => {
    const c = clampMin(z);
    optional.set(JSON.stringify(c), c);
  };
  // How far a ray may go: the sizes' types allow that much (a threshold up there is one a user's
  // size can cross: it must be checked, or the kernel is refused as above the budget).
  const ceiling = Math.max(1 << 30, ...Object.values(sizeCeilings(t.params)));
  const crossing = (f: (z: Size) => number, make: (x: number) => Size, v: number): number | undefined => {
    // smallest x >= 1 where f crosses v (f assumed monotone along the ray)
    const f1 = f(make(1));
    const up = f(make(1 << 30)) >= f1;
    const reached = (x: number) => (up ? f(make(x)) >= v : f(make(x)) <= v);
    if (reached(1)) return undefined;
    let hi = 2;
    while (hi < ceiling && !reached(hi)) hi *= 2;
    if (!reached(hi)) return undefined;
    let l = hi / 2;
    while (hi - l > 1) {
      const m = Math.floor((l + hi) / 2);
      if (reached(m)) hi = m;
      else l = m;
    }
    return hi;
  };
  for (const p of analysis.paths) {
    const S = p.symbols.length ? p.symbols : t.sizeSymbols;
    for (const v of p.values) {
      const rays: ((x: number) => Size)[] = [...S.map((s) => (x: number) => ({ ...lo, [s]: x })), (x: number) => Object.fromEntries(t.sizeSymbols.map((s) => [s, S.includes(s) ? x : lo[s]]))];
      for (const [i, ray] of rays.entries()) {
        const x = p.f ? crossing(p.f, ray, v) : v;
        if (x === undefined) continue;
        // Without the side as a function, a loop index runs one below its bound: one more size.
        for (const y of p.f ? [x - 1, x, x + 1] : [x - 1, x, x + 1, x + 2]) if (y >= 1) need(ray(y), p);
        if (i < S.length && x <= SMALL) maybe({ ...base, [S[i]]: x });
      }
      if (!p.f && S.length >= 2) {
        const r = Math.ceil(v ** (1 / S.length));
        for (const y of [r - 1, r, r + 1]) if (y >= 1) maybe(Object.fromEntries(t.sizeSymbols.map((s) => [s, S.includes(s) ? y : lo[s]])));
      }
    }
  }
  const work = (z: Size) => Math.max(1, evalExpr(t.flops, z));
  for (const { z, p } of required.values())
    if (work(z) > budget.caseWork || elements(z) > budget.caseElements)
      return {
        untestable: `changes behaviour where \`${p.text}\` crosses ${p.constant}; checking that needs ${Object.entries(z)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')} (${work(z).toExponential(1)} operations, ${elements(z).toExponential(1)} elements), above the check budget (${budget.caseWork.toExponential(1)} operations, ${budget.caseElements.toExponential(1)} elements)`,
        line: p.line,
      };
  // Sizes whose every dimension is small are cheap: fold them into fewer cases, each dimension
  // still taking every one of its values (and the diagonal ones kept whole).
  const big: Size[] = [];
  const perDim = new Map<string, Set<number>>(t.sizeSymbols.map((s) => [s, new Set<number>()]));
  const diag: Size[] = [];
  for (const { z } of required.values()) {
    const small = t.sizeSymbols.every((s) => z[s] <= SMALL);
    const varied = t.sizeSymbols.filter((s) => z[s] !== lo[s]);
    if (!small) big.push(z);
    else if (varied.length <= 1) varied.forEach((s) => perDim.get(s)!.add(z[s]));
    else diag.push(z);
  }
  const folded: Size[] = [];
  const width = Math.max(0, ...[...perDim.values()].map((v) => v.size));
  const lists = new Map([...perDim].map(([s, v]) => [s, [...v].sort((x, y) => x - y)]));
  for (let j = 0; j < width; j++) {
    const z: Size = {};
    for (const s of t.sizeSymbols) {
      const l = lists.get(s)!;
      z[s] = l.length ? l[j % l.length] : lo[s];
    }
    folded.push(clampMin(z));
  }
  const sizes: Size[] = [];
  const seen = new Set<string>();
  for (const z of [...big, ...diag, ...folded, ...optional.values()]) {
    const k = JSON.stringify(z);
    if (seen.has(k) || work(z) > budget.caseWork || elements(z) > budget.caseElements) continue;
    seen.add(k);
    sizes.push(z);
  }
  const requiredCount = big.length + diag.length + folded.length;
  if (requiredCount > budget.maxCases) return { untestable: `has ${analysis.paths.length} size-dependent boundaries needing ${requiredCount} check sizes, more than the check budget of ${budget.maxCases}` };
  // (no sweep case larger than the bench size, nor than 2^24 elements: the oracle writes 16 bytes an
  // output element, and a check's files stay under the harness's 256 MB)
  const largest = Math.min(budget.caseElements, elements(t.benchSize), 2 ** 24 + 64);
  const swept = sweepSizes(t, analysis, lo, (z) => work(z) <= budget.caseWork && elements(z) <= largest, elements, 3 * largest).filter((z) => !seen.has(JSON.stringify(z)));
  return { sizes: sizes.slice(0, Math.max(budget.maxCases, requiredCount)), swept, paths: analysis.paths.length + analysis.sweeps.length };
}

/** Most sizes one candidate's recursion sweeps add. */
const SWEEP_CASES = 48;

/**
 * Sizes for comparisons of a recursion's parameter with a constant c (`n <= 8`, `depth == 19`): a
 * recursion that divides its range by b (2, or a small divisor the kernel uses) changes where the
 * sizes pass c·b^k, so every such size (then the one above it), for every k the check budget
 * allows (none above the bench size), along the diagonal of the dimensions involved first, then
 * each alone, within `total` elements over all of them. Not a proof (the function of the sizes is not modelled): the candidate is tested
 * there, and never proved.
 */
function sweepSizes(t: Target, analysis: SizeAnalysis, lo: Size, fits: (z: Size) => boolean, elements: (z: Size) => number, total: number): Size[] {
  if (!analysis.sweeps.length) return [];
  const bases = [...new Set([2, ...analysis.sweeps.flatMap((sw) => sw.bases)])].filter((b) => b >= 2);
  const rays: ((x: number) => Size)[] = [];
  for (const sw of analysis.sweeps) {
    const S = sw.symbols.length ? sw.symbols : t.sizeSymbols;
    rays.push((x) => Object.fromEntries(t.sizeSymbols.map((s) => [s, S.includes(s) ? x : lo[s]])));
    if (S.length > 1) for (const s of S) rays.push((x) => ({ ...lo, [s]: x }));
  }
  const constants = [...new Set([1, ...analysis.sweeps.flatMap((sw) => sw.constants)])].filter((c) => c >= 1 && c < 2 ** 31);
  // The powers of each base first (a recursion's every depth, whatever its leaf: they sum to
  // about twice the largest), then each constant's multiples, then the sizes one above them.
  const exact: Size[] = [];
  const above: Size[] = [];
  for (const group of [[1], constants.filter((c) => c > 1)])
    for (const ray of rays) {
      const values = new Set<number>();
      for (const c of group) for (const b of bases) for (let v = c; v < 2 ** 31 && fits(ray(v)); v *= b) values.add(v);
      const sorted = [...values].sort((x, y) => y - x);
      exact.push(...sorted.map(ray));
      above.push(...sorted.map((v) => ray(v + 1)).filter(fits));
    }
  const out = new Map<string, Size>();
  let used = 0;
  for (const z of [...exact, ...above]) {
    const k = JSON.stringify(z);
    if (out.size >= SWEEP_CASES || out.has(k) || used + elements(z) > total) continue;
    out.set(k, z);
    used += elements(z);
  }
  return [...out.values()];
}
