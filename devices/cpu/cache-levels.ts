import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A data cache as sysfs describes it for one CPU. */
export interface CacheInfo {
  level: number;
  /** Bytes of one instance. */
  size: number;
  /** How many CPUs share one instance. */
  sharers: number;
}

/** What the profile microbenchmark measures at one level: per-thread working sets for one and for all threads. */
export interface LevelPlan {
  name: string;
  /** As in MemoryLevel: a thread's share of a private level, the whole chip's capacity of a shared one. */
  bytes: number;
  shared: boolean;
  wsOne: number;
  wsAll: number;
}

/** Used where sysfs says nothing (not Linux, a container hiding it): a common x86 core. */
export const TYPICAL_CACHES: CacheInfo[] = [
  { level: 1, size: 32 << 10, sharers: 1 },
  { level: 2, size: 1 << 20, sharers: 1 },
  { level: 3, size: 32 << 20, sharers: 1 << 10 },
];

const KiB = 1024;
const MiB = 1024 * KiB;

/** "48K" → 49152. */
export function parseCacheSize(s: string): number {
  const m = /^(\d+)\s*([KMG]?)/i.exec(s.trim());
  if (!m) return NaN;
  return Number(m[1]) * ({ '': 1, K: KiB, M: MiB, G: 1024 * MiB } as Record<string, number>)[m[2].toUpperCase()];
}

/** "0-3,8-11" → 8. */
export function countCpuList(s: string): number {
  return s
    .trim()
    .split(',')
    .filter(Boolean)
    .reduce((n, part) => {
      const [a, b] = part.split('-').map(Number);
      return n + (b === undefined ? 1 : b - a + 1);
    }, 0);
}

/** The data and unified caches of cpu0, smallest level first; TYPICAL_CACHES when sysfs has none. */
export function readCaches(cpuDir = '/sys/devices/system/cpu/cpu0'): { caches: CacheInfo[]; siblings: number; fromSysfs: boolean } {
  const read = (...p: string[]) => readFileSync(join(cpuDir, ...p), 'utf8').trim();
  const caches: CacheInfo[] = [];
  let siblings = 1;
  try {
    siblings = countCpuList(read('topology', 'thread_siblings_list')) || 1;
  } catch {
    /* no topology: no SMT assumed */
  }
  try {
    for (const d of readdirSync(join(cpuDir, 'cache')).filter((x) => x.startsWith('index'))) {
      if (read('cache', d, 'type') === 'Instruction') continue;
      const c = { level: Number(read('cache', d, 'level')), size: parseCacheSize(read('cache', d, 'size')), sharers: countCpuList(read('cache', d, 'shared_cpu_list')) || 1 };
      if (c.level > 0 && c.size > 0) caches.push(c);
    }
  } catch {
    /* not Linux */
  }
  caches.sort((a, b) => a.level - b.level);
  return caches.length ? { caches, siblings, fromSysfs: true } : { caches: TYPICAL_CACHES, siblings, fromSysfs: false };
}

/**
 * The levels to measure and their working sets: half a level's per-thread share (but above the
 * level below it where the level allows, so that a small shared share does not measure the
 * private level under it); DRAM with four times the last cache (at least 128 MiB, at most 1 GiB
 * or an eighth of memory). A level is private when no more CPUs share it than share a core.
 */
export function planLevels(caches: CacheInfo[], siblings: number, threads: number, memoryBytes: number): LevelPlan[] {
  const plans: LevelPlan[] = [];
  let below = { one: 0, all: 0 };
  for (const c of caches) {
    const shared = c.sharers > siblings;
    const instances = Math.max(1, Math.ceil(threads / c.sharers));
    const bytes = shared ? c.size * instances : c.size / c.sharers;
    const shareOne = c.size;
    const shareAll = shared ? bytes / threads : bytes;
    const ws = (share: number, under: number) => Math.floor(Math.max(share / 2, Math.min(2 * under, 0.8 * share)));
    plans.push({ name: `L${c.level}`, bytes, shared, wsOne: ws(shareOne, below.one), wsAll: ws(shareAll, below.all) });
    below = { one: shareOne, all: shareAll };
  }
  const last = plans.at(-1);
  const dram = Math.min(Math.max(128 * MiB, 4 * (last ? (last.shared ? last.bytes : last.bytes * threads) : 0)), 1024 * MiB, memoryBytes / 8);
  plans.push({ name: 'DRAM', bytes: memoryBytes, shared: true, wsOne: Math.floor(dram), wsAll: Math.floor(dram / threads) });
  return plans;
}

/**
 * The working sets of the bandwidth curve (all threads, total bytes): doubling from the first
 * level's measured working set up to DRAM's, so that a kernel whose working set sits between two
 * levels (a 32 MiB one on a 32 MiB L3, which the cache does not hold whole) is placed against what
 * the machine was measured to stream at that size, not against either level.
 */
export function planCurve(plans: LevelPlan[], threads: number): number[] {
  const first = plans[0];
  const dram = plans.at(-1);
  if (!first || !dram) return [];
  const out: number[] = [];
  for (let w = first.wsAll * threads; w <= dram.wsAll * threads * 1.01 && out.length < 24; w *= 2) out.push(Math.floor(w));
  return out;
}
