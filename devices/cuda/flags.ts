import type { Target } from '../../targets/index.js';

/** nvcc flags a CUDA candidate may add: fast math only where the target allows reassociation. */
export function cudaFlagsAllowed(t: Target): string[] {
  return ['--extra-device-vectorization', ...(t.allow.reassociation ? ['-use_fast_math'] : [])];
}
