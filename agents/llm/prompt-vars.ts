import { cudaFlagsAllowed, formatLevels } from '../../devices/index.js';
import type { BaselineProfile, CandidateOutcome, Diagnosis, RoundContext } from '../roles.js';

const C_RULES =
  'Write C (the type `real` is defined for you; include nothing you do not need). Only the function itself and static helpers; no I/O, clocks, system calls or state kept between calls. OpenMP is allowed where the flags include -fopenmp.';
const CUDA_RULES =
  'Write CUDA C++: __global__ kernels plus the host function with exactly the target signature (C linkage is declared for you; `real` is defined). Its pointers are device pointers; launch on the default stream; kloop synchronizes and checks errors. No streams, events, graphs, clocks, host callbacks, cudaMalloc/cudaMemcpy to the host or static device state; a workspace comes from cudaMallocAsync/cudaFreeAsync on stream 0.';

/** The values behind every variable documented in workflow/prompt-schema.ts. */
export function promptVars(ctx: RoundContext & { profile?: BaselineProfile; turn?: number; maxTurns?: number }): Record<string, unknown> {
  const { target: t, baseline: b, deviceProfile: p } = ctx;
  const r = ctx.profile?.roofline;
  const cuda = p.fingerprint.kind === 'cuda';
  return {
    target: {
      name: t.name,
      signature: t.signature,
      description: t.description,
      real: t.real,
      flops: t.flopsText,
      bytes: t.bytesText,
      reference_source: t.referenceSource,
      cuda_reference_source: t.cuda?.referenceSource ?? '',
      sizes: { check: JSON.stringify(t.checkSizes), bench: JSON.stringify(t.benchSize) },
      allow: { flags: (cuda ? cudaFlagsAllowed(t) : t.allow.flags).join(' '), reassociation: t.allow.reassociation },
    },
    device: {
      kind: p.fingerprint.kind,
      language: cuda ? 'CUDA C++' : 'C',
      fence: cuda ? 'cuda' : 'c',
      rules: cuda ? CUDA_RULES : C_RULES,
      sms: p.gpu?.sms ?? '',
      l2_mb: p.gpu ? (p.gpu.l2Bytes / 1048576).toFixed(0) : '',
      model: p.fingerprint.model,
      cores: p.fingerprint.cores,
      fingerprint: p.fingerprint.id,
      compiler: p.fingerprint.compiler,
      peak_gflops_fp32: p.gflops.fp32.all.toFixed(1),
      peak_gflops_fp64: p.gflops.fp64.all.toFixed(1),
      bandwidth_gbs: p.bandwidthGBs.all.toFixed(1),
      memory_levels: p.levels?.length ? formatLevels(p.levels) : `DRAM ${p.bandwidthGBs.all.toFixed(1)} GB/s`,
    },
    baseline: {
      source: b.source,
      flags: b.flags.join(' '),
      vs_reference: b.vsReference.toFixed(2),
      description: b.description,
      lineage: b.lineage.map((l) => ({ candidate: l.candidateId, speedup: l.speedup.toFixed(2), description: l.description })),
    },
    profile:
      ctx.profile && r
        ? {
            median_ms: (ctx.profile.medianNs / 1e6).toFixed(3),
            gflops: r.gflops.toFixed(2),
            gbs: r.gbs.toFixed(2),
            pct_of_roof: r.pctOfRoof.toFixed(1),
            bound: r.bound,
            roof_level: r.level ?? 'DRAM',
            roof_gbs: (r.levelGBs ?? p.bandwidthGBs.all).toFixed(1),
            roof_gflops: r.roofGflops.toFixed(1),
            intensity: r.intensity.toFixed(2),
            summary: ctx.profile.summary,
          }
        : {},
    insights: ctx.insights.slice(-20).map((i) => ({ text: i.text, outcome: i.outcome, speedup: i.speedup?.toFixed(2) ?? '' })),
    history: ctx.history.map((h) => ({ id: h.id, round: h.round, status: h.status, speedup: h.speedup?.toFixed(2) ?? '', verdict: h.verdict, description: h.description, reason: h.reason ?? '' })),
    loop: { round: ctx.round, candidates: ctx.candidates, turn: ctx.turn ?? 1, max_turns: ctx.maxTurns ?? 1 },
  };
}

export function planVars(d: Diagnosis): Record<string, unknown> {
  return { bottleneck: d.bottleneck, summary: d.summary, ideas: d.ideas.map((i) => ({ title: i.title, detail: i.detail })) };
}

export function outcomeVars(o: CandidateOutcome[]): Record<string, unknown>[] {
  return o.map((x) => ({ id: x.candidateId, description: x.description, status: x.outcome, speedup: x.speedup?.toFixed(3) ?? '', ci_low: x.ciLow?.toFixed(3) ?? '', ci_high: x.ciHigh?.toFixed(3) ?? '', reason: x.reason ?? '' }));
}
