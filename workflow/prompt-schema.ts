import type { VarSchema } from './template.js';

/**
 * The variables each role's prompt template may use. Documented in the README; checked when
 * WORKFLOW.md is loaded. agents/llm/prompt-vars.ts builds values of exactly this shape.
 */
const v = 'value' as const;
const list = (of: VarSchema): VarSchema => ({ list: of });

const common: Record<string, VarSchema> = {
  target: {
    name: v,
    signature: v,
    description: v,
    real: v,
    flops: v,
    bytes: v,
    reference_source: v,
    cuda_reference_source: v,
    sizes: { check: v, bench: v },
    allow: { flags: v, reassociation: v },
  },
  device: { kind: v, language: v, fence: v, rules: v, sms: v, l2_mb: v, model: v, cores: v, fingerprint: v, compiler: v, peak_gflops_fp32: v, peak_gflops_fp64: v, bandwidth_gbs: v, memory_levels: v },
  baseline: { source: v, flags: v, vs_reference: v, description: v, lineage: list({ candidate: v, speedup: v, description: v }) },
  profile: { median_ms: v, gflops: v, gbs: v, pct_of_roof: v, bound: v, roof_level: v, roof_gbs: v, roof_gflops: v, intensity: v, summary: v },
  insights: list({ text: v, outcome: v, speedup: v }),
  history: list({ id: v, round: v, status: v, speedup: v, verdict: v, description: v, reason: v }),
  loop: { round: v, candidates: v, turn: v, max_turns: v },
};

const plan: VarSchema = { bottleneck: v, summary: v, ideas: list({ title: v, detail: v }) };

/** The partitioner's variables: a workload, the devices, GP1's plan (plans/model-partitioner.ts builds them). */
const partitioner: VarSchema = {
  workload: { name: v, description: v, outputs: v, nodes: list({ name: v, target: v, sizes: v, rows: v, reads: v, time_ms: v }) },
  devices: list({ name: v, acp: v, kind: v, cores: v, model: v, worker: v }),
  gp1: { plan: v, predicted_ms: v },
  single_ms: v,
  cep_version: v,
  feedback: v,
  rejected: list({ devices: v, reason: v, at: v, plan: v }),
};

export const PROMPT_SCHEMAS: Record<'profiler' | 'analyzer' | 'writer' | 'reflect' | 'partitioner', VarSchema> = {
  profiler: common,
  analyzer: common,
  writer: { ...common, plan, idea: { title: v, detail: v }, feedback: v },
  reflect: { ...common, plan, outcomes: list({ id: v, description: v, status: v, speedup: v, ci_low: v, ci_high: v, reason: v }) },
  partitioner,
};
