import type { DeviceProfile } from './device.js';

export interface Roofline {
  gflops: number;
  gbs: number;
  /** Arithmetic intensity, flop per byte. */
  intensity: number;
  /** The roof at this intensity: min(peak compute, intensity x bandwidth). */
  roofGflops: number;
  /** Share of the roof reached, in percent. */
  pctOfRoof: number;
  bound: 'memory' | 'compute';
}

/** Place a measured kernel on the device's roofline (all cores, the target's precision). */
export function roofline(profile: DeviceProfile, real: 'float' | 'double', flops: number, bytes: number, seconds: number): Roofline {
  const peak = real === 'float' ? profile.gflops.fp32.all : profile.gflops.fp64.all;
  const bw = profile.bandwidthGBs.all;
  const intensity = flops / bytes;
  const memRoof = intensity * bw;
  const roofGflops = Math.min(peak, memRoof);
  const gflops = flops / seconds / 1e9;
  return { gflops, gbs: bytes / seconds / 1e9, intensity, roofGflops, pctOfRoof: (100 * gflops) / roofGflops, bound: memRoof < peak ? 'memory' : 'compute' };
}
