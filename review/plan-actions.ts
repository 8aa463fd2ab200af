import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../common/index.js';
import type { KeptPlan, MemoryStore, Review } from '../memory/index.js';
import { parsePlan, planReviewId, type CepPlan } from '../plans/index.js';
import { loadWorkload, resolveWorkload, type Workload } from '../workloads/index.js';
import { commitFile } from './commit-file.js';

/** Kept plans not yet reviewed, newest first, optionally for one workload or run. */
export async function planQueue(memory: MemoryStore, filter: { workload?: string; runId?: string } = {}): Promise<KeptPlan[]> {
  const reviewed = new Set((await memory.reviews()).map((r) => r.candidateId));
  return (await memory.plans()).filter((p) => !reviewed.has(planReviewId(p)) && (!filter.workload || p.workload === filter.workload) && (!filter.runId || p.runId === filter.runId)).sort((a, b) => b.at.localeCompare(a.at));
}

/** Where an approved plan goes: `<workload folder>/plans/<devices>.json`. */
export function planPath(workloadDir: string, devices: string): string {
  return join(workloadDir, 'plans', `${devices.replace(/[^A-Za-z0-9._+-]/g, '_')}.json`);
}

/** The workload a kept plan was made for, as its files read now (its folder, else a shipped workload of its name). */
function workloadOf(p: KeptPlan): Workload {
  if (p.workloadDir && existsSync(join(p.workloadDir, 'workload.yaml'))) return loadWorkload(p.workloadDir);
  try {
    return resolveWorkload(p.workload);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError(`plan for ${p.workload}: its workload folder ${p.workloadDir ?? '(not recorded)'} is gone and no shipped workload has that name: reject it, or run kloop run --workload again`);
  }
}

export function planCommitMessage(p: KeptPlan, plan: CepPlan): string {
  return [
    `kloop: plan ${p.workload} on ${plan.devices.map((d) => d.name).join(', ')}, ${p.speedup.toFixed(2)}x over the single-device plan (95% CI ${p.ciLow.toFixed(2)}-${p.ciHigh.toFixed(2)}, ${p.pairs} pairs)`,
    '',
    `measured ${p.measuredMs.toFixed(3)} ms against ${p.singleMs.toFixed(3)} ms on one device, interleaved; ${p.predictedMs.toFixed(3)} ms predicted by ${plan.predicted?.by ?? 'GP1'}`,
    `verification: ${p.verification}`,
    `devices: ${p.devices}; kept by run ${p.runId} at ${p.at}`,
  ].join('\n');
}

/**
 * Approve a kept plan: the decision is recorded first (never lost), then the plan is written next to
 * its workload (`plans/<devices>.json`, a file `kloop plan --check` and `--run` read) and committed.
 * A plan whose workload has changed since it was measured is refused: its figures are for another graph.
 */
export async function approvePlan(memory: MemoryStore, p: KeptPlan, now: () => Date = () => new Date()): Promise<{ path: string; commit?: string; note?: string }> {
  const plan = parsePlan(p.plan, `kept plan ${planReviewId(p)}`);
  const w = workloadOf(p);
  if (w.hash !== p.workloadHash)
    throw new UserError(`${w.file}: workload ${p.workload} changed since this plan was kept (hash ${p.workloadHash}, now ${w.hash}): its measurement is for the old graph; reject it, or run kloop run --workload again`);
  const review: Review = { candidateId: planReviewId(p), target: p.workload, fingerprint: p.devices, decision: 'approved', at: now().toISOString(), plan: p.plan };
  await memory.addReview(review);
  const path = planPath(w.dir, p.devices);
  mkdirSync(join(w.dir, 'plans'), { recursive: true });
  writeFileSync(path, JSON.stringify(plan, null, 2) + '\n');
  const { commit, note } = await commitFile(path, planCommitMessage(p, plan));
  if (!commit) return { path, note };
  await memory.addReview({ ...review, commit });
  return { path, commit };
}

/** Reject a kept plan: the reason goes into memory; later plan rounds tell the partitioner and do not keep the same plan again. */
export async function rejectPlan(memory: MemoryStore, p: KeptPlan, reason: string, now: () => Date = () => new Date()): Promise<void> {
  await memory.addReview({ candidateId: planReviewId(p), target: p.workload, fingerprint: p.devices, decision: 'rejected', reason, at: now().toISOString(), plan: p.plan });
}
