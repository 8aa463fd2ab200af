import { evalExpr, workingSetBytes, type Target } from '../targets/index.js';
import type { DeviceProfile, MemoryLevel } from './device.js';
import { levelCapacity } from './memory-levels.js';

export interface Roofline {
  gflops: number;
  gbs: number;
  /** Arithmetic intensity, flop per byte. */
  intensity: number;
  /** The roof at this intensity: min(peak compute, intensity x the level's bandwidth). */
  roofGflops: number;
  /** Share of the roof reached, in percent. */
  pctOfRoof: number;
  bound: 'memory' | 'compute';
  /** The memory level whose bandwidth is the roof ("L2", "DRAM"). */
  level: string;
  /** That level's bandwidth, GB/s (all cores). */
  levelGBs: number;
  /** The smallest level that holds the working set; `level` differs from it when the kernel moved data faster than this level's measured bandwidth. */
  fitsIn: string;
  workingSetBytes: number;
}

/**
 * Place a measured kernel on the device's hierarchical roofline (all cores, the target's
 * precision): against the smallest level that holds its working set, or, when it moved data
 * faster than that level's bandwidth, the nearest faster level that is not slower than the kernel,
 * so that no kernel shows more than 100% of a memory roof. The compute roof is the measured peak.
 */
export function roofline(profile: DeviceProfile, real: 'float' | 'double', flops: number, bytes: number, seconds: number, workingSetBytes: number): Roofline {
  const peak = real === 'float' ? profile.gflops.fp32.all : profile.gflops.fp64.all;
  const levels: MemoryLevel[] = profile.levels?.length ? profile.levels : [{ name: 'DRAM', bytes: Infinity, shared: true, gbs: profile.bandwidthGBs }];
  const gbs = bytes / seconds / 1e9;
  let fit = levels.findIndex((l) => workingSetBytes <= levelCapacity(l, profile.fingerprint.cores));
  if (fit < 0) fit = levels.length - 1;
  let at = fit;
  while (at > 0 && levels[at].gbs.all * (1 + 1e-9) < gbs) at--; // (the tolerance: rounding, not measurement)
  const bw = levels[at].gbs.all;
  const intensity = flops / bytes;
  const memRoof = intensity * bw;
  const roofGflops = Math.min(peak, memRoof);
  const gflops = flops / seconds / 1e9;
  return {
    gflops,
    gbs,
    intensity,
    roofGflops,
    pctOfRoof: (100 * gflops) / roofGflops,
    bound: memRoof < peak ? 'memory' : 'compute',
    level: levels[at].name,
    levelGBs: bw,
    fitsIn: levels[fit].name,
    workingSetBytes,
  };
}

/** A target's kernel at its bench size, timed at `seconds` a call, on the roofline. */
export function targetRoofline(profile: DeviceProfile, target: Target, seconds: number): Roofline {
  const size = target.benchSize;
  return roofline(profile, target.real, evalExpr(target.flops, size), evalExpr(target.bytes, size), seconds, workingSetBytes(target, size));
}

/** "48.0% of the L2 roof" (memory-bound) or "61.0% of the compute roof, data in L3"; a roofline from before the levels: "48.0% of the memory roof". */
export function roofPhrase(r: Pick<Roofline, 'pctOfRoof' | 'bound'> & { level?: string }, digits = 1): string {
  const pct = `${r.pctOfRoof.toFixed(digits)}%`;
  if (!r.level) return `${pct} of the ${r.bound} roof`;
  return r.bound === 'memory' ? `${pct} of the ${r.level} roof` : `${pct} of the compute roof, data in ${r.level}`;
}
