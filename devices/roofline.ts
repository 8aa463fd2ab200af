import { evalExpr, workingSetBytes, type Target } from '../targets/index.js';
import type { DeviceProfile, MemoryLevel } from './device.js';
import { bandwidthAt, levelCapacity } from './memory-levels.js';

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
  /** The memory level whose bandwidth is the roof ("L2", "DRAM"): the smallest that holds the working set. */
  level: string;
  /** The bandwidth measured at this working set, GB/s (all cores): the profile's curve where it has one, else the level's. */
  levelGBs: number;
  /** The same level (kept for readers of older results). */
  fitsIn: string;
  /**
   * The kernel moved data faster than its level's measured bandwidth (its bytes formula counts
   * traffic that partly stayed in a faster level, or the measurement understated the level): the
   * bandwidth it reached is then its roof, so it stands at 100% of a memory roof.
   */
  outran?: boolean;
  workingSetBytes: number;
}

/**
 * Place a measured kernel on the device's hierarchical roofline (all cores, the target's
 * precision): against the smallest level that holds its working set, its roof the bandwidth
 * measured at that working set (the profile's curve; the level's where there is none) times the
 * kernel's intensity, capped by the measured compute peak. A kernel that moved
 * data faster than that level's measured bandwidth has reached the level's roof (its own
 * bandwidth is the roof): no kernel shows more than 100%, and a faster kernel never shows less.
 */
export function roofline(profile: DeviceProfile, real: 'float' | 'double', flops: number, bytes: number, seconds: number, workingSetBytes: number): Roofline {
  const peak = real === 'float' ? profile.gflops.fp32.all : profile.gflops.fp64.all;
  const levels: MemoryLevel[] = profile.levels?.length ? profile.levels : [{ name: 'DRAM', bytes: Infinity, shared: true, gbs: profile.bandwidthGBs }];
  const gbs = bytes / seconds / 1e9;
  let fit = levels.findIndex((l) => workingSetBytes <= levelCapacity(l, profile.fingerprint.cores));
  if (fit < 0) fit = levels.length - 1;
  // The bandwidth the curve measured at this working set (one near a cache's capacity, which the
  // cache does not hold whole, streams slower than the cache), within what the levels measured:
  // never above the level that holds it, never below the level that holds it twice over (a point
  // of the curve disturbed by other work on the machine does not lower the roof past that).
  const curveGBs = bandwidthAt(profile.curve, workingSetBytes);
  let safe = levels.findIndex((l) => 2 * workingSetBytes <= levelCapacity(l, profile.fingerprint.cores));
  if (safe < 0) safe = levels.length - 1;
  const levelGBs = curveGBs === undefined ? levels[fit].gbs.all : Math.min(levels[fit].gbs.all, Math.max(curveGBs, levels[safe].gbs.all));
  const outran = gbs > levelGBs * (1 + 1e-9); // (the tolerance: rounding, not measurement)
  const intensity = flops / bytes;
  const memRoof = intensity * (outran ? gbs : levelGBs);
  const roofGflops = Math.min(peak, memRoof);
  const gflops = flops / seconds / 1e9;
  return {
    gflops,
    gbs,
    intensity,
    roofGflops,
    pctOfRoof: Math.min(100, (100 * gflops) / roofGflops),
    bound: memRoof < peak ? 'memory' : 'compute',
    level: levels[fit].name,
    levelGBs,
    fitsIn: levels[fit].name,
    ...(outran ? { outran } : {}),
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

/**
 * The most GB/s a kernel can move its bench-size bytes at when no cache can hold them between calls
 * (its working set is over twice the largest cache): twice the device's measured memory bandwidth
 * (all cores), room for measurement and for a bytes formula that counts a little more than moves.
 * Above it the kernel did not read what it must have (it kept results between calls, or skipped
 * inputs). Undefined where a cache could hold the working set, or without measured levels.
 */
export function memoryCapGBs(profile: DeviceProfile, target: Target): number | undefined {
  const caches = (profile.levels ?? []).filter((l) => Number.isFinite(l.bytes) && l !== profile.levels!.at(-1));
  if (!caches.length) return undefined;
  const largest = Math.max(...caches.map((l) => levelCapacity(l, profile.fingerprint.cores)));
  if (workingSetBytes(target, target.benchSize) <= 2 * largest) return undefined;
  return 2 * profile.bandwidthGBs.all;
}
