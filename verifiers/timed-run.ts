import { evalExpr, type Target } from '../targets/index.js';
import type { BenchCheck, Verifier } from './verifier.js';

export type TimedJudgement = { ok: true; gflops: number } | { ok: false; layer: 'timed-output' | 'roofline'; reason: string; gflops: number };

/**
 * The gate's last two layers, on a candidate's timed run at the bench size, in this order for
 * `kloop run` and `kloop verify` alike:
 * - timed-output: what the timed binary wrote is what the verified one computes (within the
 *   tolerance measured at the bench size; an inout target gets one fresh call instead);
 * - roofline: a speed above the device's measured compute peak (by 10%) is a measurement trick,
 *   not a kernel, and so is moving a working set no cache holds at over twice the measured memory
 *   bandwidth (a memo of the inputs kept between calls, which every output check agrees with). `peakGflops` is asked with the speed seen, so a caller may measure the peak again
 *   before calling a speed impossible (a profile taken on a busy machine under-reports it).
 */
export async function judgeTimedRun(o: {
  verifier: Verifier;
  bench: BenchCheck;
  target: Target;
  outputFile: string;
  run: { binary: string; workDir: string };
  medianNs: number;
  peakGflops?: (seen: number) => number | Promise<number>;
  /**
   * The most GB/s its bytes can move at (devices/roofline.ts memoryCapGBs), asked with the GB/s
   * seen (a caller may measure the bandwidth again first); undefined where a cache could hold them.
   */
  memoryCapGBs?: (seen: number) => number | undefined | Promise<number | undefined>;
  /**
   * Runs the output check (processes on the device) under the caller's lock, if it has one: the
   * limits are asked outside it, since measuring them again takes the device alone.
   */
  shared?: <T>(fn: () => Promise<T>) => Promise<T>;
}): Promise<TimedJudgement> {
  const gflops = evalExpr(o.target.flops, o.target.benchSize) / o.medianNs;
  const check = () => o.verifier.checkTimedOutput(o.bench, o.outputFile, o.run);
  const checked = await (o.shared ? o.shared(check) : check());
  if (!checked.ok) return { ok: false, layer: 'timed-output', reason: checked.reason, gflops };
  if (o.peakGflops) {
    const peak = await o.peakGflops(gflops);
    if (gflops > peak * 1.1) return { ok: false, layer: 'roofline', reason: `${gflops.toFixed(1)} GFLOP/s is above the device's measured peak of ${peak.toFixed(1)}: impossible`, gflops };
  }
  if (o.memoryCapGBs) {
    const gbs = evalExpr(o.target.bytes, o.target.benchSize) / o.medianNs;
    const cap = await o.memoryCapGBs(gbs);
    if (cap !== undefined && gbs > cap)
      return {
        ok: false,
        layer: 'roofline',
        reason: `moved its bytes at ${gbs.toFixed(1)} GB/s, over twice the device's measured memory bandwidth (cap ${cap.toFixed(1)} GB/s) with a working set no cache holds: impossible (it kept results between calls, or did not read its inputs)`,
        gflops,
      };
  }
  return { ok: true, gflops };
}
