import type { Rng } from '../../common/index.js';
import { estimateCost, type CostContext } from './cost-model.js';
import { expand, sourceOf, type MoveContext, type MoveKind, type Program } from './transforms/index.js';

export interface Proposal {
  program: Program;
  source: string;
  cost: number;
  /** Move kinds applied, for memory ("what worked"). */
  kinds: string[];
}

export interface SearchOptions {
  depth: number;
  beam: number;
  count: number;
  moveCtx: MoveContext;
  costCtx: CostContext;
  /** Move chains not to propose (e.g. ones the verifier rejected on this target). */
  excluded?: (kinds: string[]) => boolean;
  /** Sources (with flags) already tried: never proposed again. */
  tried: Set<string>;
  /** Wall-clock budget for the search; the best found so far is returned when it runs out. */
  budgetMs?: number;
  now?: () => number;
  /** Multiplier on a program's cost from what memory says about its move kinds (<1 favours). */
  prior: (kinds: string[]) => number;
  rng: Rng;
  /** The compute model's predicted time for a program (undefined until it has enough measurements): blended into the final ranking. */
  predict?: (source: string, flags: string[]) => number | undefined;
  /** A proposal must pass it to be proposed (the gate's static race analysis: what the gate would refuse is never proposed). */
  screen?: (source: string) => boolean;
  /** Awaited between slices of the search (see WriteContext.pause); time spent in it is not the search's budget. */
  pause?: () => Promise<void>;
}

/** A search's clock: its deadline excludes the time it spent paused, and it pauses once per SLICE_MS of work. */
const SLICE_MS = 10;
function searchClock(opts: SearchOptions) {
  const now = opts.now ?? (() => performance.now());
  let paused = 0;
  let sliceStart = now();
  const deadline = now() + (opts.budgetMs ?? 3000);
  return {
    late: () => now() - paused > deadline,
    async slice(): Promise<void> {
      if (!opts.pause || now() - sliceStart < SLICE_MS) return;
      const t = now();
      await opts.pause();
      paused += now() - t;
      sliceStart = now();
    },
  };
}

/** Moves that change no cost by themselves but enable others (a compiler's enabling transformations). */
const ENABLING: ReadonlySet<MoveKind> = new Set<MoveKind>(['sink', 'distribute']);

/**
 * States reachable from the beam by enabling moves alone (two steps from the baseline, one at
 * later depths). They join the beam without competing on cost, so that e.g. sink + distribute +
 * interchange is found at depth 1, and distribute + tile at the next.
 */
async function enablingClosure(beam: Proposal[], opts: SearchOptions, seen: Set<string>, score: (q: Program) => number, clock: ReturnType<typeof searchClock>, steps: number): Promise<Proposal[]> {
  const out: Proposal[] = [];
  let frontier = beam;
  for (let step = 0; step < steps && out.length < 48; step++) {
    const next: Proposal[] = [];
    for (const b of frontier) {
      await clock.slice();
      if (clock.late()) break;
      for (const { program: q } of expand(b.program, opts.moveCtx, ENABLING)) {
        const source = sourceOf(q);
        const key = programKey(source, q.flags);
        if (seen.has(key)) continue;
        seen.add(key);
        next.push({ program: q, source, cost: score(q), kinds: q.kinds });
      }
    }
    out.push(...next);
    frontier = next;
  }
  return out.slice(0, 48);
}

/**
 * Re-rank the top of the pool by the average of two ranks: the static cost model's and the compute
 * model's predicted time. Ranks, because the two are in different units and the static model's
 * scale is arbitrary; an even blend, because each is wrong in its own way (the static model knows
 * no compiler, the learned one only what it has measured), and the exploration slot below still
 * picks outside either's favourites. Unchanged if the model cannot predict every one.
 */
export function blendPredictions(pool: Proposal[], predict: (source: string, flags: string[]) => number | undefined, window: number): void {
  const head = pool.slice(0, window);
  const predicted = head.map((p) => predict(p.source, p.program.flags));
  if (head.length < 2 || predicted.some((t) => t === undefined || !Number.isFinite(t))) return;
  const byModel = head.map((_, i) => i).sort((a, b) => predicted[a]! - predicted[b]!);
  const modelRank = new Array<number>(head.length);
  byModel.forEach((i, r) => (modelRank[i] = r));
  const order = head.map((_, i) => i).sort((a, b) => a + modelRank[a] - (b + modelRank[b]) || a - b);
  pool.splice(0, head.length, ...order.map((i) => head[i]));
}

export const programKey = (source: string, flags: string[]) => `${[...flags].sort().join(' ')}\n${source}`;

/**
 * Beam search over move sequences from the baseline, ranked by the static cost model and memory's
 * priors; returns the `count` best distinct programs not tried before.
 */
export async function search(baseline: Program, opts: SearchOptions): Promise<Proposal[]> {
  const seen = new Set<string>([programKey(sourceOf(baseline), baseline.flags)]);
  const pool: Proposal[] = [];
  let beam: Proposal[] = [{ program: baseline, source: sourceOf(baseline), cost: estimateCost(baseline, opts.costCtx), kinds: [] }];
  const clock = searchClock(opts);
  const score = (q: Program) => estimateCost(q, opts.costCtx) * opts.prior(q.kinds) * (1 + 0.05 * opts.rng.next()) * (1 + 0.01 * q.kinds.length);
  for (let d = 0; d < opts.depth; d++) {
    beam = [...beam, ...(await enablingClosure(beam, opts, seen, score, clock, d === 0 ? 2 : 1))];
    const next: Proposal[] = [];
    for (const b of beam) {
      await clock.slice();
      if (clock.late()) break;
      for (const { program: q } of expand(b.program, opts.moveCtx)) {
        const source = sourceOf(q);
        const key = programKey(source, q.flags);
        if (seen.has(key)) continue;
        seen.add(key);
        // a little noise breaks ties between equal estimates (tile sizes, unroll factors)
        const prop = { program: q, source, cost: score(q), kinds: q.kinds };
        next.push(prop);
        if (!opts.tried.has(key) && !opts.excluded?.(q.kinds)) pool.push(prop);
      }
    }
    next.sort((a, b) => a.cost - b.cost);
    beam = next.slice(0, opts.beam);
    if (!beam.length) break;
  }
  pool.sort((a, b) => a.cost - b.cost);
  if (opts.predict) blendPredictions(pool, opts.predict, opts.count * 8);
  // Diversity: prefer proposals whose move sets differ; the last slot explores (a random pick
  // from the rest of the top of the pool), so a wrong cost model cannot trap the search.
  const exploit = opts.count > 2 ? opts.count - 1 : opts.count;
  const out: Proposal[] = [];
  const sigs = new Set<string>();
  const passes = (p: Proposal) => !opts.screen || opts.screen(p.source);
  for (const p of pool) {
    const sig = [...new Set(p.kinds)].sort().join('+');
    if (sigs.has(sig) || !passes(p)) continue;
    sigs.add(sig);
    out.push(p);
    if (out.length >= exploit) break;
  }
  const rest = pool.slice(0, opts.count * 8).filter((p) => !out.includes(p) && passes(p));
  while (out.length < opts.count && rest.length) out.push(rest.splice(Math.floor(opts.rng.next() * rest.length), 1)[0]);
  return out;
}
