import type { CheckCasesRequest, Device } from '../devices/index.js';
import { notRun } from '../devices/index.js';
import type { RunResult } from '../sandboxes/index.js';

/** Most cases one check process runs: groups larger than this are split, so both lanes stay busy. */
export const CASES_PER_PROCESS = 12;

/**
 * Check cases of one binary at one thread count: in one process where the device can
 * (`Device.checkCases`), else one process per case, in order, stopping at the first that fails.
 */
export async function runCases(device: Device, req: CheckCasesRequest): Promise<RunResult[]> {
  if (device.checkCases) return device.checkCases(req);
  const out: RunResult[] = [];
  for (const [i, k] of req.cases.entries()) {
    const r = await device.check({ binary: req.binary, target: req.target, size: k.size, input: k.input, output: k.output, workDir: req.workDir, timeoutMs: req.timeoutMs, threads: req.threads, sanitized: req.sanitized, seed: k.seed });
    out.push(r);
    if (r.exitCode !== 0 || r.timedOut) {
      while (out.length < req.cases.length) out.push(notRun(`case ${i + 1} of its group failed`));
      break;
    }
  }
  return out;
}

/**
 * Cases 0..n-1 in groups (cases of one key, at most CASES_PER_PROCESS, in index order), `lanes`
 * groups at a time, `run(indices, lane)` once per group: every case's result, by its index.
 */
export async function runGrouped<K>(n: number, keyOf: (i: number) => K, lanes: number, run: (indices: number[], lane: number) => Promise<RunResult[]>): Promise<RunResult[]> {
  const byKey = new Map<K, number[]>();
  for (let i = 0; i < n; i++) {
    const k = keyOf(i);
    const group = byKey.get(k);
    if (group) group.push(i);
    else byKey.set(k, [i]);
  }
  const groups = [...byKey.values()].flatMap((ix) => Array.from({ length: Math.ceil(ix.length / CASES_PER_PROCESS) }, (_, j) => ix.slice(j * CASES_PER_PROCESS, (j + 1) * CASES_PER_PROCESS)));
  const results: RunResult[] = new Array<RunResult>(n);
  let next = 0;
  const lane = async (l: number): Promise<void> => {
    while (next < groups.length) {
      const g = groups[next++];
      const rs = await run(g, l);
      g.forEach((i, j) => (results[i] = rs[j]));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(Math.floor(lanes), groups.length)) }, (_, l) => lane(l)));
  return results;
}
