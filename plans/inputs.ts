import { writeFileSync } from 'node:fs';
import { Rng } from '../common/index.js';
import type { Workload } from '../workloads/index.js';

/** The workload's inputs, in order, drawn from N(0, 1) with a seed, in the workload's precision (raw little-endian). */
export function workloadInputs(w: Workload, seed: number): Buffer {
  const rng = new Rng(seed);
  const parts = w.inputs.map((id) => {
    const a = w.arrays.get(id)!;
    const v = a.real === 'float' ? new Float32Array(a.elements) : new Float64Array(a.elements);
    for (let i = 0; i < v.length; i++) v[i] = rng.normal();
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  });
  return Buffer.concat(parts);
}

export function writeWorkloadInputs(w: Workload, seed: number, file: string): void {
  writeFileSync(file, workloadInputs(w, seed));
}
