import type { Device, TimedRun } from '../devices/index.js';
import type { Size, Target } from '../targets/index.js';
import { median, speedupCI, type SpeedupEstimate } from './stats.js';

export interface TimingConfig {
  minPairs: number;
  maxPairs: number;
  /** Each timed process repeats the kernel until this much time has passed (at least 3 calls, or 1 long one). */
  minMs: number;
  maxReps: number;
  minSpeedup: number;
}

export interface Timed {
  id: string;
  binary: string;
  /** Its own folder: the process's working directory (and only writable place) in the sandbox. */
  workDir?: string;
}

export interface TimingResult extends SpeedupEstimate {
  ok: boolean;
  /** Why timing failed (crash, timeout, clock disagreement), if it did. */
  error?: string;
  baselineNs: number[];
  candidateNs: number[];
  medianNs: number;
  baselineMedianNs: number;
  /** Timing stopped because the estimate did not clear minSpeedup, its interval still straddling it. */
  stoppedBelowBar?: boolean;
}

export interface AbTimingRequest {
  device: Device;
  target: Target;
  size: Size;
  input: string;
  workDir: string;
  baseline: Timed;
  candidates: Timed[];
  config: TimingConfig;
  /** Runs one timed process with the device to itself. */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Where a candidate's timed runs leave their outputs (checked afterwards). */
  outputFor?: (id: string) => string | undefined;
  /** Shuffles the candidates' order within a cycle. */
  shuffle?: <T>(xs: T[]) => T[];
}

function perProcess(r: TimedRun): number {
  return median(r.timesNs);
}

/**
 * Interleaved timing: each cycle runs the baseline, then every undecided candidate, each in its own
 * process; a candidate's ratio pairs its run with the baseline run of the same cycle. After
 * minPairs, a candidate stops being timed when its interval lies wholly above or below minSpeedup,
 * or when its estimate itself does not clear minSpeedup: more pairs are spent only on a candidate
 * that is ahead of the bar and not yet shown to clear it. (A candidate stopped that way is never
 * kept: keeping needs the interval's lower end above the bar. Most proposals near their baseline
 * measure within noise of it, and timing them to maxPairs was most of a round's timing.)
 */
export async function abTiming(req: AbTimingRequest): Promise<Map<string, TimingResult>> {
  const { device, target, size, input, workDir, config } = req;
  const results = new Map<string, TimingResult>();
  const series = new Map(req.candidates.map((c) => [c.id, { base: [] as number[], cand: [] as number[], done: false, belowBar: false, error: undefined as string | undefined }]));
  let baselineWallMs = 0;
  const run = (t: Timed, timeoutMs: number, output?: string) => req.exclusive(() => device.time({ binary: t.binary, target, size, input, output, minMs: config.minMs, maxReps: config.maxReps, workDir: t.workDir ?? workDir, timeoutMs }));

  for (let cycle = 0; cycle < config.maxPairs; cycle++) {
    const active = req.candidates.filter((c) => !series.get(c.id)!.done);
    if (!active.length) break;
    const base = await run(req.baseline, cycle === 0 ? 900_000 : Math.max(30_000, baselineWallMs * 10));
    if (!base.ok) throw new Error(`the baseline of ${target.name} failed its timed run: ${base.run.stderr.slice(0, 300) || `exit ${base.run.exitCode}`}`);
    baselineWallMs = Math.max(baselineWallMs, base.wallMs);
    const b = perProcess(base);
    for (const c of req.shuffle ? req.shuffle([...active]) : active) {
      const s = series.get(c.id)!;
      const r = await run(c, Math.max(10_000, baselineWallMs * 5), req.outputFor?.(c.id));
      if (!r.ok) {
        s.done = true;
        s.error = r.run.timedOut ? 'timed out at the bench size' : r.timesNs.length ? "the harness's clock disagreed with kloop's" : `crashed at the bench size (exit ${r.run.exitCode}${r.run.signal ? `, ${r.run.signal}` : ''})`;
        continue;
      }
      s.base.push(b);
      s.cand.push(perProcess(r));
      if (s.cand.length >= config.minPairs) {
        const est = speedupCI(s.base, s.cand);
        s.belowBar = est.speedup < config.minSpeedup && est.ciHigh >= config.minSpeedup;
        if (est.ciLow > config.minSpeedup || est.ciHigh < config.minSpeedup || s.belowBar) s.done = true;
      }
    }
  }
  for (const c of req.candidates) {
    const s = series.get(c.id)!;
    const est = s.cand.length ? speedupCI(s.base, s.cand) : { speedup: 0, ciLow: 0, ciHigh: 0, pairs: 0 };
    results.set(c.id, {
      ...est,
      ok: !s.error,
      error: s.error,
      baselineNs: s.base,
      candidateNs: s.cand,
      medianNs: median(s.cand),
      baselineMedianNs: median(s.base),
      ...(s.belowBar && s.cand.length < config.maxPairs ? { stoppedBelowBar: true } : {}),
    });
  }
  return results;
}
