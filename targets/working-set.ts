import { elementCount } from './load.js';
import type { Size, Target } from './target.js';

/** Bytes of one `real`. */
export const realBytes = (real: Target['real']): number => (real === 'float' ? 4 : 8);

/** The kernel's working set at a size: the bytes of all its arrays (what must stay in a level for the level's roof to apply). */
export function workingSetBytes(target: Target, size: Size = target.benchSize): number {
  return target.arrays.reduce((n, a) => n + elementCount(a, size) * (a.int?.bytes ?? realBytes(target.real)), 0);
}
