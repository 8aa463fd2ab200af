import type { KeptPlan } from '../memory/index.js';
import { cepPlanSchema, type CepPlan, type CepStep } from '../plans/index.js';

const rowsOf = (s: CepStep) => (s.rows ? ` rows ${s.rows[0]}-${s.rows[1]}` : '');

/** A kept plan's CEP plan, or undefined when memory holds something that is not one. */
export function keptCep(p: KeptPlan): CepPlan | undefined {
  const r = cepPlanSchema.safeParse(p.plan);
  return r.success ? r.data : undefined;
}

/**
 * What runs where, per device in the plan's order: the device (kind, cores, ACP id, home), then its
 * steps in the order it runs them: `run NODE[ rows a-b]`, `copy NODE.ARRAY[ rows a-b] from DEVICE`.
 */
export function planAssignment(plan: CepPlan): { device: string; steps: string[] }[] {
  return plan.devices.map((d) => {
    const where = [d.kind, d.cores ? `cores ${d.cores.join(',')}` : 'whole device', d.worker ? `worker ${d.worker}` : '', `ACP ${d.acp}`, d.name === plan.home ? 'home' : ''].filter(Boolean).join(', ');
    const steps = plan.steps.filter((s) => s.device === d.name).map((s) => (s.op === 'run' ? `run ${s.node}${rowsOf(s)}` : `copy ${s.array}${rowsOf(s)} from ${s.from}`));
    return { device: `${d.name} (${where})`, steps };
  });
}

/** The copies between devices, counted: a reviewer's first question about a split. */
export function planCopies(plan: CepPlan): number {
  return plan.steps.filter((s) => s.op === 'copy').length;
}
