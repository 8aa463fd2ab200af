import type { KeptPlan, MemoryStore, Review } from '../memory/index.js';
import { cepPlanSchema } from './schema.js';

/**
 * Review of kept plans, as memory records it: a plan's review is a Review whose candidateId names
 * the kept plan (`plan:<workload>@<devices>@<at>`: a later keep for the same workload and devices
 * is another plan, reviewed on its own), target the workload, fingerprint the devices, and `plan`
 * the plan reviewed.
 */
export const planReviewId = (p: Pick<KeptPlan, 'workload' | 'devices' | 'at'>): string => `plan:${p.workload}@${p.devices}@${p.at}`;

export const isPlanReview = (r: Review): boolean => r.candidateId.startsWith('plan:');

/** A plan a reviewer rejected: what the partitioner is told, and what a round does not keep again. */
export interface RejectedPlan {
  workload: string;
  devices: string;
  reason: string;
  at: string;
  plan: unknown;
}

/** The plans rejected in review for a workload, oldest first. */
export async function rejectedPlans(memory: MemoryStore, workload: string): Promise<RejectedPlan[]> {
  return (await memory.reviews())
    .filter((r) => isPlanReview(r) && r.decision === 'rejected' && r.target === workload)
    .sort((a, b) => a.at.localeCompare(b.at))
    .map((r) => ({ workload: r.target, devices: r.fingerprint, reason: r.reason ?? '(no reason given)', at: r.at, plan: r.plan }));
}

/** JSON with its object keys sorted: the same value always prints the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/**
 * What makes two plans the same plan: the workload's name, the devices, home and steps (defaults
 * filled in). The prediction and the workload's content hash are left out: a plan rejected once is
 * the same plan when GP1 predicts it again, or after an edit elsewhere in the workload's files.
 */
export function planIdentity(plan: unknown): string {
  const parsed = cepPlanSchema.safeParse(plan);
  if (!parsed.success) return canonical(plan);
  const { workload, devices, home, steps } = parsed.data;
  return canonical({ workload: workload.name, devices, home, steps });
}

/** The rejection a plan repeats, if it is identical to a plan rejected for its workload. */
export function rejectionOf(plan: unknown, rejected: readonly RejectedPlan[]): RejectedPlan | undefined {
  const id = planIdentity(plan);
  return rejected.find((r) => r.plan !== undefined && planIdentity(r.plan) === id);
}
