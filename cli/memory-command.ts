import type { Baseline } from '../memory/index.js';

const sizes = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/**
 * `kloop memory [--target T]`: the best kernel memory keeps per target, device fingerprint and size,
 * each with the size it was tuned (timed) at: a workload node's sizes (`kloop run --workload`), or
 * the target's bench size (a plain run, and every kernel kept before kloop tuned at node sizes).
 */
export function keptKernelsList(list: Baseline[], target?: string): string {
  const mine = list
    .filter((b) => !target || b.target === target)
    .sort((a, b) => a.target.localeCompare(b.target) || a.fingerprint.localeCompare(b.fingerprint) || (a.size ? 1 : 0) - (b.size ? 1 : 0) || sizes(a.size ?? {}).localeCompare(sizes(b.size ?? {})));
  if (!mine.length) return `no kept kernels${target ? ` for ${target}` : ''} (kloop run keeps a target's best verified kernel; kloop run --workload one per node size)`;
  return mine
    .map((b) => {
      const at = b.size ? `tuned at ${sizes(b.size)} (a workload node's sizes)` : 'tuned at the bench size';
      const vs = b.measured
        ? `${b.vsReference.toFixed(2)}x over the reference [95% CI ${b.measured.ciLow.toFixed(2)}-${b.measured.ciHigh.toFixed(2)}, ${b.measured.pairs} pairs, run ${b.measured.runId}]`
        : `~${b.vsReference.toFixed(2)}x over the reference (chained, not measured)`;
      const time = b.medianNs !== undefined ? `, ${(b.medianNs / 1e6).toFixed(3)} ms a call there` : '';
      return `${b.target} on ${b.fingerprint}, ${at}: ${b.lineage.at(-1)?.candidateId ?? 'reference'} [${b.verdict}]${b.flags.length ? ` ${b.flags.join(' ')}` : ''}\n  ${vs}${time}; kept ${b.updatedAt}`;
    })
    .join('\n');
}
