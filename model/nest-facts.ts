import { dependsOn, evalInt, footprint, trips } from '../agents/builtin/cost-model.js';
import { isInnermost, loopSites } from '../agents/builtin/transforms/loops.js';
import { isSharedLoop as isParallel, isTeamLoop as isTeam, reductionClause } from '../agents/builtin/transforms/openmp.js';
import { arrayAccesses, canonicalLoop, coeffOf, forEachExpr, forEachStmt, printExpr, type Expr, type For, type Func } from '../csyntax/index.js';

/**
 * What a kernel's loop nests look like at the bench size, as numbers: the program half of CM1's
 * feature vector (features.ts). Work-weighted figures are weighted by each innermost loop's
 * iterations (the product of the trip counts of its chain), so that a cold remainder loop counts
 * for what it runs.
 */
export interface NestFacts {
  loops: number;
  maxDepth: number;
  innermost: number;
  /** Iterations of all innermost loops together. */
  work: number;
  /** Distinct array accesses per innermost iteration, work-weighted: contiguous (stride ±1), strided, invariant. */
  contiguous: number;
  strided: number;
  invariant: number;
  /** Work-weighted accesses, all kinds. */
  accesses: number;
  /** Share of contiguous accesses whose reuse across an outer loop does not fit in half of L2. */
  reuseMissL2: number;
  /** Share of strided accesses whose cache lines an outer loop reuses within L1 (a tiled transpose). */
  stridedL1Reuse: number;
  /** Share of the work under `omp parallel`, and under one on the outermost loop. */
  parallelWork: number;
  parallelOuter: number;
  /** Fewest iterations of a parallel loop, per core (less than 1: cores idle). */
  parallelTripsPerCore: number;
  collapse: boolean;
  simdWork: number;
  reduction: boolean;
  /** Share of the work in loops that write a loop-invariant location without a vectorised reduction. */
  serialWork: number;
  /** Calls per innermost iteration, work-weighted. */
  calls: number;
  /** Largest step of an innermost loop (unroll) and of an outer, non-tile loop (unroll-and-jam). */
  unroll: number;
  unrollJam: number;
  tiled: boolean;
  tileSize: number;
  /** Bytes one pass inside the innermost tile loop touches (0 untiled). */
  tileFootprint: number;
  /** Local arrays in the kernel (scratch buffers, packed tiles) and their bytes. */
  scratchArrays: number;
  scratchBytes: number;
  restrict: boolean;
}

const isSimd = (f: For) => f.pragmas.some((p) => /\bsimd\b/.test(p));

/** A tile loop: its variable starts an inner loop (the point loop it drives). */
function isTileLoop(f: For): boolean {
  const c = canonicalLoop(f);
  if (!c || c.step <= 1) return false;
  let drives = false;
  forEachStmt(f.body, (s) => {
    const ci = s.k === 'for' ? canonicalLoop(s) : undefined;
    if (ci && coeffOf(ci.lo, c.v) !== 0) drives = true;
  });
  return drives;
}

export function nestFacts(
  fn: Func,
  sizes: Record<string, number>,
  o: { cores: number; elementBytes: number; l1Bytes: number; l2Bytes: number; /** Per array, where it differs (integer arrays). */ arrayBytes?: Record<string, number> },
): NestFacts {
  const n: NestFacts = {
    loops: 0,
    maxDepth: 0,
    innermost: 0,
    work: 0,
    contiguous: 0,
    strided: 0,
    invariant: 0,
    accesses: 0,
    reuseMissL2: 0,
    stridedL1Reuse: 0,
    parallelWork: 0,
    parallelOuter: 0,
    parallelTripsPerCore: 0,
    collapse: false,
    simdWork: 0,
    reduction: false,
    serialWork: 0,
    calls: 0,
    unroll: 1,
    unrollJam: 1,
    tiled: false,
    tileSize: 0,
    tileFootprint: 0,
    scratchArrays: 0,
    scratchBytes: 0,
    restrict: fn.params.some((p) => p.ptr.includes('restrict')),
  };
  let minParallelTrips = Infinity;
  for (const site of loopSites(fn.body)) {
    const f = site.loop;
    n.loops++;
    n.maxDepth = Math.max(n.maxDepth, site.outer.length + 1);
    if (f.pragmas.some((p) => /\bcollapse\s*\(/.test(p))) n.collapse = true;
    const tile = isTileLoop(f);
    if (tile) {
      n.tiled = true;
      n.tileSize = Math.max(n.tileSize, canonicalLoop(f)!.step);
    } else if (!isInnermost(f)) n.unrollJam = Math.max(n.unrollJam, canonicalLoop(f)?.step ?? 1);
    if (!isInnermost(f)) continue;
    n.unroll = Math.max(n.unroll, canonicalLoop(f)?.step ?? 1);
    const chain = [...site.outer, f];
    const env: Record<string, number> = { ...sizes };
    const trip: number[] = [];
    for (const l of chain) {
      trip.push(trips(l, env));
      const c = canonicalLoop(l);
      if (c) env[c.v] = evalInt(c.lo, env) ?? 0;
    }
    const w = trip.reduce((a, t) => a * t, 1);
    n.innermost++;
    n.work += w;
    chain.forEach((l, k) => {
      if (!isParallel(l)) return;
      minParallelTrips = Math.min(minParallelTrips, trip[k]);
    });
    if (chain.some(isParallel)) n.parallelWork += w;
    if (isParallel(chain[0]) || (isTeam(chain[0]) && chain.some(isParallel))) n.parallelOuter += w;
    if (chain.some(isSimd)) n.simdWork += w;
    const red = reductionClause(f);
    if (red) n.reduction = true;
    if (f.pragmas.some((p) => /\breduction\s*\(/.test(p))) n.reduction = true;
    const v = canonicalLoop(f)?.v ?? '';
    const distinct = new Map<string, { array: string; idx: Expr; write: boolean }>();
    for (const a of arrayAccesses(f.body)) {
      const key = `${a.array}[${printExpr(a.idx)}]`;
      distinct.set(key, { array: a.array, idx: a.idx, write: (distinct.get(key)?.write ?? false) || a.write });
    }
    let serial = !!red;
    for (const a of distinct.values()) {
      const idx = a.idx;
      const co = coeffOf(idx, v);
      n.accesses += w;
      if (co === 0) {
        n.invariant += w;
        if (a.write) serial = true;
        continue;
      }
      if (co === 1 || co === -1) {
        n.contiguous += w;
        for (let k = chain.length - 2; k >= 0; k--)
          if (!dependsOn(idx, chain, k)) {
            if (footprint(idx, chain, k, trip) * (o.arrayBytes?.[a.array] ?? o.elementBytes) > o.l2Bytes / 2) n.reuseMissL2 += w;
            break;
          }
      } else {
        n.strided += w;
        for (let k = chain.length - 2; k >= 0; k--) {
          const ck = canonicalLoop(chain[k]);
          const cok = ck ? coeffOf(idx, ck.v) : 'nonaffine';
          if (cok === 1 || cok === -1) {
            if (footprint(idx, chain, k, trip) * 64 <= o.l1Bytes) n.stridedL1Reuse += w;
            break;
          }
        }
      }
    }
    if (serial && !isSimd(f)) n.serialWork += w;
    let calls = 0;
    forEachExpr(f.body, (e) => {
      if (e.k === 'call') calls++;
    });
    n.calls += w * calls;
    // The footprint of one pass inside the innermost tile loop of this chain.
    const t = chain.map(isTileLoop).lastIndexOf(true);
    if (t >= 0) {
      let bytes = 0;
      for (const a of distinct.values()) bytes += footprint(a.idx, chain, t, trip) * (o.arrayBytes?.[a.array] ?? o.elementBytes);
      n.tileFootprint = Math.max(n.tileFootprint, bytes);
    }
  }
  forEachStmt(fn.body, (s) => {
    if (s.k !== 'decl') return;
    for (const d of s.decls) {
      if (!d.dims.length) continue;
      n.scratchArrays++;
      const count = d.dims.reduce((a, e) => a * (evalInt(e, sizes) ?? 64), 1);
      n.scratchBytes += count * (/double/.test(s.type) ? 8 : /float/.test(s.type) ? 4 : o.elementBytes);
    }
  });
  // Work-weighted figures as shares of the work (per innermost iteration for access counts).
  const W = n.work || 1;
  n.reuseMissL2 = n.contiguous ? n.reuseMissL2 / n.contiguous : 0;
  n.stridedL1Reuse = n.strided ? n.stridedL1Reuse / n.strided : 0;
  for (const k of ['contiguous', 'strided', 'invariant', 'accesses', 'parallelWork', 'parallelOuter', 'simdWork', 'serialWork', 'calls'] as const) n[k] /= W;
  n.parallelTripsPerCore = Number.isFinite(minParallelTrips) ? minParallelTrips / o.cores : 0;
  return n;
}
