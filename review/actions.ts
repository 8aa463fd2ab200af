import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MemoryStore, Review, Winner } from '../memory/index.js';
import { loadTarget } from '../targets/index.js';
import { commitFile } from './commit-file.js';

/** Kept winners not yet reviewed, newest first, optionally for one target or run. */
export async function reviewQueue(memory: MemoryStore, filter: { target?: string; runId?: string } = {}): Promise<Winner[]> {
  const reviewed = new Set((await memory.reviews()).map((r) => r.candidateId));
  return (await memory.winners(filter)).filter((w) => !reviewed.has(w.candidateId)).sort((a, b) => b.at.localeCompare(a.at));
}

export function commitMessage(w: Winner): string {
  const tuned = w.size
    ? ` tuned at ${Object.entries(w.size)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`
    : '';
  return `kloop: promote ${w.target} kernel${tuned}, ${w.speedup.toFixed(2)}x (95% CI ${w.ciLow.toFixed(2)}-${w.ciHigh.toFixed(2)}) [${w.verdict}], ~${w.vsReference.toFixed(1)}x over the reference (chained, not measured)\n\n${w.description}\nverdict: ${w.verdict}\nflags: ${w.flags.join(' ') || '(none)'}\nevidence: ${w.evidence}\ncandidate ${w.candidateId} of run ${w.runId} on ${w.device}`;
}

/**
 * Approve: the decision is recorded first (never lost), then the kernel is written to the path the
 * target names for promoted kernels and committed on the current branch.
 */
export async function approve(memory: MemoryStore, w: Winner, now: () => Date = () => new Date()): Promise<{ path: string; commit?: string; note?: string }> {
  const review: Review = { candidateId: w.candidateId, target: w.target, fingerprint: w.fingerprint, decision: 'approved', at: now().toISOString() };
  await memory.addReview(review);
  const target = loadTarget(w.targetDir);
  // A GPU winner (fingerprint cuda-...) is CUDA C++: it goes where the target keeps its CUDA kernel.
  const path = join(target.dir, w.fingerprint.startsWith('cuda-') ? (target.cuda?.promote ?? 'kernel.cu') : target.promote);
  writeFileSync(path, w.source);
  const { commit, note } = await commitFile(path, commitMessage(w));
  if (!commit) return { path, note };
  await memory.addReview({ ...review, commit });
  return { path, commit };
}

/** Reject: the reason goes into memory, where the analyzer sees it in later rounds. */
export async function reject(memory: MemoryStore, w: Winner, reason: string, now: () => Date = () => new Date()): Promise<void> {
  const at = now().toISOString();
  await memory.addReview({ candidateId: w.candidateId, target: w.target, fingerprint: w.fingerprint, decision: 'rejected', reason, at });
  await memory.addInsights([{ target: w.target, fingerprint: w.fingerprint, runId: w.runId, round: 0, candidateId: w.candidateId, kinds: ['review'], outcome: 'discard', text: `rejected by review: ${reason} (${w.description})`, at }]);
}
