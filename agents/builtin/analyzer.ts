import { roofPhrase } from '../../devices/index.js';
import type { Insight } from '../../memory/index.js';
import type { Analyzer, BaselineProfile, CandidateOutcome, Diagnosis, Idea, RoundContext } from '../roles.js';
import { kernelFacts } from './kernel-facts.js';

/**
 * Deterministic analyzer: roofline position + a static look at the loops -> bottleneck class ->
 * ideas (as move kinds the built-in writer favours). Reflection turns each outcome into an insight.
 */
export class BuiltinAnalyzer implements Analyzer {
  readonly name = 'builtin';

  async analyze(ctx: RoundContext & { profile: BaselineProfile }): Promise<Diagnosis> {
    const { roofline } = ctx.profile;
    const f = kernelFacts(ctx.baseline.source, ctx.target.fn);
    const ideas: Idea[] = [];
    if (f.stridedInnermost.length)
      ideas.push({ title: 'walk memory contiguously', detail: `strided accesses in innermost loops: ${f.stridedInnermost.join(', ')}; interchange loops or tile`, favour: ['interchange', 'sink', 'distribute', 'tile'] });
    if (f.serialReductions.length || f.callsInInnermost.length)
      ideas.push({
        title: 'vectorise',
        detail: `serial reductions (${f.serialReductions.join('; ') || 'none'}) and calls (${f.callsInInnermost.join(', ') || 'none'}) keep the inner loop scalar`,
        favour: ['simd', 'flag:-ffast-math', 'flag:-fno-math-errno'],
      });
    if (!f.parallel) ideas.push({ title: 'use every core', detail: 'no loop runs in parallel', favour: ['parallel'] });
    if (roofline.bound === 'compute' && roofline.pctOfRoof < 50 && !f.stridedInnermost.length)
      ideas.push({ title: 'block for registers and cache', detail: 'compute-bound but far from the roof: reuse loaded data', favour: ['unroll-jam', 'tile', 'distribute'] });
    if (roofline.bound === 'memory' && !f.tiled && f.maxDepth >= 2) ideas.push({ title: 'block for cache', detail: 'memory-bound: keep tiles in cache', favour: ['tile'] });
    ideas.push({ title: 'let the compiler unroll', detail: 'cheap flag variants', favour: ['unroll', 'flag:-funroll-loops'] });
    const bottleneck: Diagnosis['bottleneck'] = f.stridedInnermost.length ? 'locality' : f.serialReductions.length ? 'latency' : !f.parallel ? 'parallelism' : roofline.bound;
    return {
      bottleneck,
      summary: `${roofPhrase(roofline)}; bottleneck: ${bottleneck}${f.parsed ? '' : ' (source not parsed: flag variants only)'}`,
      ideas: ideas.slice(0, Math.max(ctx.candidates, 1) + 1),
    };
  }

  async reflect(ctx: RoundContext & { fingerprint: string; runId: string; outcomes: CandidateOutcome[]; at: string }): Promise<Insight[]> {
    return ctx.outcomes.map((o) => ({
      target: ctx.target.name,
      fingerprint: ctx.fingerprint,
      runId: ctx.runId,
      round: ctx.round,
      candidateId: o.candidateId,
      kinds: o.kinds,
      outcome: o.outcome,
      speedup: o.speedup,
      text:
        o.outcome === 'keep'
          ? `${o.description}: kept, ${o.speedup?.toFixed(2)}x (95% CI ${o.ciLow?.toFixed(2)}-${o.ciHigh?.toFixed(2)})`
          : o.outcome === 'discard'
            ? `${o.description}: no gain beyond noise (${o.speedup?.toFixed(2) ?? '?'}x)`
            : `${o.description}: ${o.outcome} (${o.reason ?? ''})`,
      at: ctx.at,
    }));
  }
}
