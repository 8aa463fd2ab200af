import type { Baseline } from './types.js';

/**
 * The key of the size a best kernel was tuned at: '' for the target's bench size (no `size`, as
 * every baseline kept before kloop tuned at node sizes), else its symbols sorted with their values
 * (`K=64,M=16,N=32`), so that one size has one key whatever order its symbols were written in.
 */
export function sizeKey(size?: Record<string, number>): string {
  if (!size) return '';
  return Object.keys(size)
    .sort()
    .map((k) => `${k}=${size[k]}`)
    .join(',');
}

/** Whether a kept baseline is the one for (target, fingerprint, size). */
export const sameBaseline = (b: Pick<Baseline, 'target' | 'fingerprint' | 'size'>, target: string, fingerprint: string, size?: Record<string, number>): boolean =>
  b.target === target && b.fingerprint === fingerprint && sizeKey(b.size) === sizeKey(size);
