import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_STATE, type Device } from '../devices/index.js';
import { elementCount, type Size, type Target } from '../targets/index.js';
import { compareOutputs } from './compare.js';
import { harnessFailure, type HarnessFailure } from './harness-exit.js';
import { formatSize } from './sizes.js';

/**
 * Calls the repeated-calls check makes in one process. A kernel may keep a call counter where no
 * static symbol shows (freed heap memory, which a user's process hands back unchanged) and act only
 * after many calls; the stale-state check makes 8 or so. This one makes this many, at the plan's
 * smallest size, with the allocator a user's process has: a counter that acts within them shows.
 * (One that waits longer is not caught: no finite check is.)
 */
export const REPEATED_CALLS = 12_000;

export interface RepeatedCase {
  size: Size;
  inputFile: string;
  oracleFile: string;
  inputs: Map<string, Buffer>;
}

/** The plan's case with the fewest elements: the repeated calls cost least there. */
export function smallestCase<T extends { size: Size }>(t: Target, cases: T[]): T {
  const elements = (z: Size) => t.arrays.reduce((n, a) => n + elementCount(a, z), 0);
  return cases.reduce((b, c) => (elements(c.size) < elements(b.size) ? c : b));
}

/**
 * Start the check: `REPEATED_CALLS` calls on one input in one process (one thread, so the outputs of
 * a correct kernel are bit-identical call after call), every call's outputs compared by the harness
 * with the first's, the first's with the oracle here. Resolves to the failure, or undefined.
 */
export async function repeatedCalls(device: Device, t: Target, binary: string, k: RepeatedCase, workDir: string, calls = REPEATED_CALLS): Promise<HarnessFailure | undefined> {
  // A folder of its own: it runs beside the stale-state check, and a sandboxed run owns its folder.
  const dir = join(workDir, 'repeated');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'repeated.out');
  const r = await device.check({ binary, target: t, size: k.size, input: `${k.inputFile}*${calls}`, output: out, workDir: dir, timeoutMs: 60_000, threads: 1, plainHeap: true });
  if (r.exitCode === EXIT_STATE) {
    const said = r.stderr.split('\n').find((l) => l.startsWith('kloop harness: '));
    return { layer: 'stale-state', reason: `${(said ?? 'a later call gave other outputs than the first').slice('kloop harness: '.length)}, at ${formatSize(k.size)}` };
  }
  const failed = harnessFailure(r, formatSize(k.size));
  if (failed) return { ...failed, layer: failed.layer === 'run' ? 'stale-state' : failed.layer, reason: `${failed.reason} (in ${calls} calls on one input)` };
  const cmp = compareOutputs(t, k.size, k.inputs, readFileSync(out), readFileSync(k.oracleFile));
  if (!cmp.ok) return { layer: 'compare', reason: `the first of ${calls} calls on one input gave wrong results at ${formatSize(k.size)}` };
  return undefined;
}
