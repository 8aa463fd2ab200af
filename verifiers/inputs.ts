import { Rng } from '../common/index.js';
import { elementCount, type Size, type Target } from '../targets/index.js';

/** Input distributions: never all zeros; signed; with exact zeros, heavy tails and large magnitudes. */
export const DISTRIBUTIONS = ['normal', 'uniform', 'heavy', 'sparse', 'large'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

function draw(rng: Rng, d: Distribution): number {
  switch (d) {
    case 'normal':
      return rng.normal();
    case 'uniform':
      return rng.next() * 2 - 1;
    case 'heavy': {
      // Cauchy, clipped so that products stay finite in single precision.
      const x = Math.tan(Math.PI * (rng.next() - 0.5));
      return Math.max(-1e4, Math.min(1e4, x));
    }
    case 'sparse':
      return rng.next() < 0.3 ? 0 : rng.normal();
    case 'large':
      return rng.normal() * (rng.next() < 0.1 ? 65536 : 256);
  }
}

export interface InputSet {
  /** Concatenated in/inout arrays, parameter order, the target's precision: the harness's IN file. */
  bytes: Buffer;
  /** The same, per array, to compare against what the candidate left behind. */
  arrays: Map<string, Buffer>;
}

export function makeInputs(t: Target, size: Size, seed: number, dist: Distribution): InputSet {
  const rng = new Rng(seed);
  const arrays = new Map<string, Buffer>();
  for (const a of t.arrays) {
    if (a.role === 'out') continue;
    const n = elementCount(a, size);
    const data = t.real === 'float' ? new Float32Array(n) : new Float64Array(n);
    let nonzero = false;
    for (let i = 0; i < n; i++) {
      data[i] = draw(rng, dist);
      nonzero ||= data[i] !== 0;
    }
    if (!nonzero) data[rng.int(0, n - 1)] = 1 + rng.next();
    arrays.set(a.name, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  return { bytes: Buffer.concat([...arrays.values()]), arrays };
}
