import { EXIT_FPENV, EXIT_GUARD, EXIT_INPUT_WRITE } from '../devices/index.js';
import { describeExit, type RunResult } from '../sandboxes/index.js';
import type { Layer } from './verdict.js';

export interface HarnessFailure {
  layer: Layer;
  /** One line: what the harness saw, or how the process ended. */
  reason: string;
  detail?: string;
}

/**
 * What a harness process that did not exit cleanly tells the verifier (undefined: it did): a write
 * outside an array is `bounds`, a write to an input (read-only during the call) is `inputs`, a
 * changed floating-point control state is `fp-env`, anything else (a crash, a timeout, a CUDA error)
 * is `run`. `where` names the size for the last.
 */
export function harnessFailure(r: RunResult, where: string): HarnessFailure | undefined {
  if (r.exitCode === 0 && !r.timedOut) return undefined;
  const said = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('kloop harness: '))
    .pop()
    ?.trim();
  if (!r.timedOut && said) {
    if (r.exitCode === EXIT_GUARD) return { layer: 'bounds', reason: said };
    if (r.exitCode === EXIT_INPUT_WRITE) return { layer: 'inputs', reason: `${said.slice('kloop harness: '.length)} (inputs are read-only during every call; restoring them afterwards does not help)` };
    if (r.exitCode === EXIT_FPENV) return { layer: 'fp-env', reason: `${said.slice('kloop harness: '.length)} and left it so for the caller` };
  }
  // A CUDA error names the failing call ("kloop harness: CUDA error cudaErrorIllegalAddress (...) while running the kernel").
  const named = /kloop harness: (CUDA error .*)/.exec(r.stderr)?.[1];
  return { layer: 'run', reason: `the kernel ${describeExit(r)} at ${where}${named ? `: ${named}` : ''}`, detail: r.stderr.slice(0, 4000) };
}
