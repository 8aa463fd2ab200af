import { dirname, join } from 'node:path';
import { programKey } from '../agents/index.js';
import { shortHash, type RwLock } from '../common/index.js';
import type { Device } from '../devices/index.js';
import type { Baseline } from '../memory/index.js';
import type { Target } from '../targets/index.js';
import { abTiming, type TimingConfig, type TimingResult } from './ab-timing.js';
import type { TargetFinal } from './events.js';

export const baselineKey = (b: Pick<Baseline, 'source' | 'flags'>) => shortHash(programKey(b.source, b.flags));

/** The name memory keeps a reference's time under: the target at its bench size (a target given another bench size, or a session at a workload node's sizes, is timed again, not shown with the old time). */
export const referenceKey = (t: Pick<Target, 'name' | 'benchSize' | 'session'>) =>
  `${t.session?.target ?? t.name}@${Object.entries(t.benchSize)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;

export interface ProgramBuildDeps {
  runDir: string;
  target: Target;
  device: Device;
  lock: RwLock;
  /** Built binaries, by baseline key (shared with the rounds). */
  baselineBinaries: Map<string, string>;
}

/** Build a baseline (or the reference) once per run; the binary is cached by its program key. */
export async function buildProgram(d: ProgramBuildDeps, b: Pick<Baseline, 'source' | 'flags'>): Promise<string> {
  const key = baselineKey(b);
  const cached = d.baselineBinaries.get(key);
  if (cached) return cached;
  const dir = join(d.runDir, 'baselines', `${d.target.name}-${key}`);
  const r = await d.lock.shared(() => d.device.build({ target: d.target, source: b.source, flags: b.flags, workDir: dir }));
  if (!r.ok) throw new Error(`the baseline of ${d.target.name} no longer builds:\n${r.log}`);
  d.baselineBinaries.set(key, r.binary!);
  return r.binary!;
}

/** Start-up and input loading of one timed process, beyond its calls (a generous estimate: a reservation, not a figure). */
const PROCESS_MS = 100;

/**
 * What a final measurement is expected to take, for PO1 to keep it inside the run's time: `minPairs`
 * pairs of a reference process and a best-kernel process, each repeating its kernel for `minMs` after
 * a warm-up call (or one call, when that alone is as long), and its start-up.
 */
export function finalCostMs(referenceNs: number, bestNs: number, timing: Pick<TimingConfig, 'minPairs' | 'minMs'>): number {
  const process = (ns: number) => (ns / 1e6 >= timing.minMs ? ns / 1e6 : ns / 1e6 + timing.minMs) + PROCESS_MS;
  return timing.minPairs * (process(referenceNs) + process(bestNs));
}

export interface FinalTimingDeps extends ProgramBuildDeps {
  benchInput: string;
  timing: TimingConfig;
}

/**
 * The figure kloop reports as "vs reference": the reference and the best kernel timed against each
 * other in this run, interleaved (R B R B …, each in its own process, the device held exclusively
 * for each), for a fixed `minPairs` pairs (no stopping on the result), with the 95% interval of the
 * geometric mean of the paired ratios. Never a product of step estimates. The reference itself is 1x.
 */
export async function measureFinal(d: FinalTimingDeps, reference: Baseline, best: Baseline): Promise<TargetFinal> {
  const id = best.lineage.at(-1)?.candidateId ?? 'reference';
  if (id === 'reference' || baselineKey(best) === baselineKey(reference)) return { target: d.target.name, id: 'reference', verdict: 'reference', speedup: 1, ciLow: 1, ciHigh: 1, pairs: 0 };
  const refBin = await buildProgram(d, reference);
  const bestBin = await buildProgram(d, best);
  const r = await finalPairs(d, refBin, { id, binary: bestBin });
  if (!r.ok) throw new Error(`the final timing of ${d.target.name} (reference against ${id}) failed: ${r.error}`);
  return { target: d.target.name, id, verdict: best.verdict, speedup: r.speedup, ciLow: r.ciLow, ciHigh: r.ciHigh, pairs: r.pairs, referenceNs: r.baselineMedianNs, bestNs: r.medianNs };
}

/**
 * The final measurement's pairs: the reference's binary against the best's, interleaved, for a
 * fixed max(2, minPairs) pairs (no early stop: the interval describes the figure, it decides
 * nothing). Here, or on a fleet's worker (a `final` job).
 */
export async function finalPairs(d: Omit<FinalTimingDeps, 'baselineBinaries'>, refBin: string, best: { id: string; binary: string }): Promise<TimingResult> {
  const pairs = Math.max(2, d.timing.minPairs);
  return (
    await abTiming({
      device: d.device,
      target: d.target,
      size: d.target.benchSize,
      input: d.benchInput,
      workDir: join(d.runDir, 'baselines'),
      baseline: { id: 'reference', binary: refBin, workDir: dirname(refBin) },
      candidates: [{ id: best.id, binary: best.binary, workDir: dirname(best.binary) }],
      config: { ...d.timing, minPairs: pairs, maxPairs: pairs, minSpeedup: NaN },
      exclusive: (fn) => d.lock.exclusive(fn),
    })
  ).get(best.id)!;
}
