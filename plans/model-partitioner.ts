import type { AcpDescriptor } from '../devices/index.js';
import type { Workload } from '../workloads/index.js';
import { bindPlan } from './bind.js';
import { checkPlan } from './check.js';
import type { CostModel } from './cost.js';
import { PlanError, parsePlan } from './parse.js';
import { kernelBindings } from './node-kernels.js';
import type { Candidate } from './partition.js';
import { rejectionOf, type RejectedPlan } from './plan-reviews.js';
import type { WorkloadPlans } from './plan-workload.js';
import { CEP_VERSION, type CepPlan } from './schema.js';
import { simulate } from './simulate.js';

/** What a model-backed partitioner needs: a provider (agents/providers) and the "## partitioner" prompt. */
export interface PlanProposer {
  provider: { generate(req: { messages: { role: 'user' | 'assistant'; content: string }[]; meta: { role: 'partitioner'; target?: string; turn?: number } }): Promise<{ text: string }> };
  template: { render(vars: Record<string, unknown>): string };
}

/** The partitioner prompt's variables (workflow/prompt-schema.ts `partitioner`). */
export function partitionerVars(
  w: Workload,
  descriptor: AcpDescriptor,
  plans: WorkloadPlans,
  measured: Map<string, number> | undefined,
  feedback = '',
  rejected: readonly RejectedPlan[] = [],
  /** Each offered device's descriptor by ACP id (a fleet worker's is its own); default: this machine's. */
  descriptors?: Map<string, AcpDescriptor>,
): Record<string, unknown> {
  const set = plans.sets.at(-1)!;
  return {
    workload: {
      name: w.name,
      description: w.description,
      outputs: w.outputs.join(', '),
      nodes: w.nodes.map((n) => ({
        name: n.name,
        target: `${n.target.name}: ${n.target.signature}`,
        sizes: Object.entries(n.sizes)
          .map(([k, x]) => `${k}=${x}`)
          .join(' '),
        rows: n.rows ? `${n.rows.extent} rows along ${n.rows.symbol}` : 'does not split',
        reads: Object.entries(n.source)
          .filter(([arg, id]) => id !== `${n.name}.${arg}` || w.inputs.includes(id))
          .map(([arg, id]) => `${arg} <- ${id}`)
          .join(', '),
        time_ms: measured?.get(n.name) !== undefined ? (measured.get(n.name)! / 1e6).toFixed(3) : 'unknown',
      })),
    },
    devices: set.devices.map((d) => ({ name: d.name, acp: d.acp, kind: d.kind, cores: (d.cores ?? []).join(','), model: (descriptors?.get(d.acp) ?? descriptor).model, worker: d.worker ?? '' })),
    gp1: { plan: JSON.stringify(set.candidate.plan), predicted_ms: set.candidate.sim.ms.toFixed(3) },
    single_ms: plans.single.candidate.sim.ms.toFixed(3),
    cep_version: CEP_VERSION,
    feedback,
    // Plans a reviewer rejected for this workload (kloop review), with the reviewer's reason.
    rejected: rejected.map((r) => ({ devices: r.devices, reason: r.reason, at: r.at, plan: JSON.stringify(r.plan) })),
  };
}

/** The first JSON object in a reply (a fenced block, or the outermost braces). */
function replyJson(reply: string): unknown {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/.exec(reply);
  const text = fenced ? fenced[1] : reply.slice(reply.indexOf('{'), reply.lastIndexOf('}') + 1);
  return JSON.parse(text);
}

/**
 * Ask the model-backed partitioner for a plan: its reply's JSON must be a CEP plan for this workload
 * on the offered devices that passes the static check; it is then predicted with GP1's cost model.
 * A reply that is not one is a verdict (`problem`), never a crash, and the round goes on with GP1's.
 */
export async function proposeWithModel(o: {
  proposer: PlanProposer;
  workload: Workload;
  descriptor: AcpDescriptor;
  /** Each offered device's descriptor by ACP id (fleet workers'), for the prompt. */
  descriptors?: Map<string, AcpDescriptor>;
  plans: WorkloadPlans;
  measured?: Map<string, number>;
  costFor: (devices: CepPlan['devices']) => CostModel;
  /** Plans rejected in review for this workload: in the prompt, and a reply repeating one is refused. */
  rejected?: readonly RejectedPlan[];
}): Promise<{ candidate?: Candidate; problem?: string }> {
  const prompt = o.proposer.template.render(partitionerVars(o.workload, o.descriptor, o.plans, o.measured, '', o.rejected, o.descriptors));
  let reply: string;
  try {
    reply = (await o.proposer.provider.generate({ messages: [{ role: 'user', content: prompt }], meta: { role: 'partitioner', target: o.workload.name, turn: 1 } })).text;
  } catch (e) {
    return { problem: `the partitioner's provider failed: ${(e as Error).message.split('\n')[0]}` };
  }
  let plan: CepPlan;
  try {
    plan = parsePlan(replyJson(reply), 'the partitioner');
    const key = (d: CepPlan['devices'][number]) => [d.name, d.acp, d.kind, (d.cores ?? []).join(','), d.worker ?? ''].join('|');
    const offered = new Set(o.plans.sets.flatMap((s) => s.devices.map(key)));
    for (const d of plan.devices) if (!offered.has(key(d))) return { problem: `the partitioner's plan names device ${d.name} (${d.acp}${d.cores ? `, cores ${d.cores.join(',')}` : ''}), which was not offered` };
    const again = rejectionOf(plan, o.rejected ?? []);
    if (again) return { problem: `the partitioner's plan is one a reviewer rejected (${again.at}: "${again.reason}")` };
    const bound = bindPlan(plan, o.workload, 'the partitioner');
    const v = checkPlan(bound);
    if (!v.ok) return { problem: `the partitioner's plan is refused: ${v.reason}` };
    const sim = simulate(bound, v.order, o.costFor(plan.devices));
    const kernels = kernelBindings(o.workload);
    plan = { ...plan, predicted: { ms: Math.round(sim.ms * 1e4) / 1e4, by: 'model partitioner', sources: sim.sources, ...(kernels ? { kernels } : {}) } };
    return { candidate: { plan, sim, assignment: [] } };
  } catch (e) {
    if (e instanceof PlanError || e instanceof SyntaxError) return { problem: `the partitioner's reply is not a valid CEP plan: ${e.message.split('\n')[0]}` };
    throw e;
  }
}
