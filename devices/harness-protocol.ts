import type { Size, Target } from '../targets/index.js';

/**
 * The command line every generated harness (CPU or CUDA) takes, and its exit codes:
 *   harness MODE IN OUT POISON MIN_MS MAX_REPS SIZE...
 * MODE is check or time; IN may be "a.in+b.in" (a second call on b's inputs in the same buffers).
 */
export const GUARD_BYTES = 256;
/** A write outside an array's bounds (guard zones). */
export const EXIT_GUARD = 3;
/** kloop called the harness wrongly (short input, unwritable output). */
export const EXIT_USAGE = 4;
/** A CUDA call failed (launch or execution error), named on stderr. */
export const EXIT_CUDA = 5;
/** No usable GPU: no device or no driver. */
export const EXIT_NO_GPU = 6;

export function harnessArgs(target: Target, mode: 'check' | 'time', input: string, output: string, poison: number, minMs: number, maxReps: number, size: Size): string[] {
  return [mode, input, output, poison.toString(16), String(minMs), String(maxReps), ...target.sizeSymbols.map((s) => String(size[s]))];
}

/** The kernel's prototype over the target's parameters (`real` is the target's scalar). */
export function kernelPrototype(t: Target): string {
  return `void ${t.fn}(${t.params.map((p) => (p.kind === 'size' ? `int ${p.name}` : `${p.role === 'in' ? 'const ' : ''}real *${p.name}`)).join(', ')})`;
}

/** Numbers printed by a harness on a line "TAG n1 n2 ...". */
export function numbersAfter(tag: string, stdout: string): number[] {
  const line = new RegExp(`${tag}((?: \\d+)+)`).exec(stdout);
  return line ? line[1].trim().split(' ').map(Number) : [];
}
