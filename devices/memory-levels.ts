import type { BandwidthPoint, DeviceProfile, MemoryLevel } from './device.js';

/** What a level holds when `threads` threads run: a private level's share counts once per thread. */
export function levelCapacity(level: MemoryLevel, threads: number): number {
  return level.shared ? level.bytes : level.bytes * threads;
}

/**
 * Bandwidths that never rise towards the slower levels, and all cores never below one: a
 * measurement disturbed by other work on the machine must not leave a cache slower than the memory
 * behind it, or the whole chip slower than one of its cores.
 */
export function monotonic(levels: MemoryLevel[]): MemoryLevel[] {
  const out = levels.map((l) => ({ ...l, gbs: { one: l.gbs.one, all: Math.max(l.gbs.all, l.gbs.one) } }));
  for (let i = out.length - 2; i >= 0; i--) {
    out[i].gbs.one = Math.max(out[i].gbs.one, out[i + 1].gbs.one);
    out[i].gbs.all = Math.max(out[i].gbs.all, out[i + 1].gbs.all);
  }
  return out;
}

/** A curve sorted by size whose bandwidth never rises with the working set (a disturbed point does not stand above a smaller one). */
export function monotonicCurve(points: BandwidthPoint[]): BandwidthPoint[] {
  const out = points.filter((p) => p.bytes > 0 && p.gbs > 0).sort((a, b) => a.bytes - b.bytes);
  for (let i = out.length - 2; i >= 0; i--) out[i] = { ...out[i], gbs: Math.max(out[i].gbs, out[i + 1].gbs) };
  return out;
}

/**
 * The measured bandwidth at a working set: geometric interpolation between the two curve points
 * around it (the points are a factor of two apart), the end points' beyond them; undefined without
 * a curve.
 */
export function bandwidthAt(curve: BandwidthPoint[] | undefined, bytes: number): number | undefined {
  if (!curve?.length) return undefined;
  if (bytes <= curve[0].bytes) return curve[0].gbs;
  const last = curve[curve.length - 1];
  if (bytes >= last.bytes) return last.gbs;
  const i = curve.findIndex((p) => p.bytes >= bytes);
  const a = curve[i - 1];
  const b = curve[i];
  const f = Math.log(bytes / a.bytes) / Math.log(b.bytes / a.bytes);
  return a.gbs * Math.pow(b.gbs / a.gbs, f);
}

/**
 * A stored profile measured before the hierarchical roofline has no levels, and a CPU profile from
 * before the bandwidth curve has no curve: either is measured again, not used.
 */
export function isCurrentProfile(p: DeviceProfile | undefined): p is DeviceProfile {
  return !!p && Array.isArray(p.levels) && p.levels.length > 0 && (p.fingerprint?.kind !== 'cpu' || (Array.isArray(p.curve) && p.curve.length > 0));
}

/** 49152 → "48 KiB", 33554432 → "32 MiB". */
export function formatCapacity(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return `${Number.isInteger(bytes) ? bytes : bytes.toFixed(1)} ${units[i]}`;
}

/** One line: "L1 48 KiB 1010 GB/s · L2 1 MiB 530 GB/s · L3 32 MiB 250 GB/s · DRAM 57 GB/s" (all cores; private sizes per thread). */
export function formatLevels(levels: MemoryLevel[]): string {
  return levels.map((l, i) => `${l.name}${i < levels.length - 1 ? ` ${formatCapacity(l.bytes)}` : ''} ${l.gbs.all.toFixed(l.gbs.all < 100 ? 1 : 0)} GB/s`).join(' · ');
}

/** One line: "48 KiB 1003 · 96 KiB 949 · … · 96 MiB 45.1 GB/s" (all cores, working set of all threads). */
export function formatCurve(curve: BandwidthPoint[]): string {
  return `${curve.map((p) => `${formatCapacity(p.bytes)} ${p.gbs.toFixed(p.gbs < 100 ? 1 : 0)}`).join(' · ')} GB/s`;
}
