import type { DeviceProfile, MemoryLevel } from './device.js';

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

/** A stored profile measured before the hierarchical roofline has no levels: it is measured again, not used. */
export function isCurrentProfile(p: DeviceProfile | undefined): p is DeviceProfile {
  return !!p && Array.isArray(p.levels) && p.levels.length > 0;
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
