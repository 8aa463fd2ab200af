import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countCpuList, parseCacheSize, planLevels, readCaches, TYPICAL_CACHES } from '../devices/cpu/cache-levels.js';
import { formatLevels, isCurrentProfile, monotonic, roofline, roofPhrase, targetRoofline, type DeviceProfile, type MemoryLevel } from '../devices/index.js';
import { loadTarget, workingSetBytes } from '../targets/index.js';
import { CATALOG_DIR } from '../targets/index.js';
import { tmp } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Two cores: private L1 and L2 (per-thread shares), a shared L3, DRAM. */
const levels: MemoryLevel[] = [
  { name: 'L1', bytes: 48 * KiB, shared: false, gbs: { one: 500, all: 1000 } },
  { name: 'L2', bytes: 1 * MiB, shared: false, gbs: { one: 270, all: 530 } },
  { name: 'L3', bytes: 32 * MiB, shared: true, gbs: { one: 120, all: 250 } },
  { name: 'DRAM', bytes: 16 * 1024 * MiB, shared: true, gbs: { one: 45, all: 57 } },
];
const profile: DeviceProfile = {
  fingerprint: { id: 'cpu-t', kind: 'cpu', model: 'Test CPU', cores: 2, flagsHash: 'f', compiler: 'cc' },
  measuredAt: '2026-01-01T00:00:00Z',
  gflops: { fp32: { one: 270, all: 540 }, fp64: { one: 135, all: 270 } },
  bandwidthGBs: { one: 45, all: 57 },
  levels,
};

/** A read-only kernel (1 flop per 4 bytes) over `ws` bytes at `gbs` GB/s. */
const streaming = (ws: number, gbs: number) => roofline(profile, 'float', ws / 4, ws, ws / (gbs * 1e9), ws);

describe('the hierarchical roofline (HP1)', () => {
  it('places a kernel against the smallest level that holds its working set (private levels count once per core)', () => {
    expect(streaming(32 * KiB, 100).level).toBe('L1');
    // 64 KiB is over one L1 but within the two cores' L1s together
    expect(streaming(64 * KiB, 100).level).toBe('L1');
    expect(streaming(97 * KiB, 100).level).toBe('L2');
    expect(streaming(2 * MiB, 100).level).toBe('L2');
    expect(streaming(3 * MiB, 100).level).toBe('L3');
    expect(streaming(32 * MiB, 100).level).toBe('L3');
    const dram = streaming(64 * MiB, 28.5);
    expect(dram).toMatchObject({ level: 'DRAM', fitsIn: 'DRAM', levelGBs: 57, bound: 'memory' });
    expect(dram.pctOfRoof).toBeCloseTo(50, 6);
    expect(dram.workingSetBytes).toBe(64 * MiB);
  });

  it("never shows more than 100%, and a faster kernel never shows less: a kernel faster than its level is at that level's roof", () => {
    // 64 MiB sits in DRAM (57 GB/s), but the kernel moved 70 GB/s (the bytes formula counts what it reads, some of which stayed in L3)
    const r = streaming(64 * MiB, 70);
    expect(r).toMatchObject({ level: 'DRAM', fitsIn: 'DRAM', levelGBs: 57, outran: true });
    expect(r.pctOfRoof).toBeCloseTo(100, 6);
    // exactly at its level's bandwidth: 100% of that level, not flagged
    const at = streaming(64 * MiB, 57);
    expect(at.level).toBe('DRAM');
    expect(at.outran).toBeUndefined();
    expect(at.pctOfRoof).toBeCloseTo(100, 6);
    // monotone in speed: before, 58 GB/s (just past DRAM's 57) fell to 23% of the L3 roof
    let last = 0;
    for (const gbs of [1, 10, 56, 57, 58, 100, 249, 251, 529, 531, 999]) {
      const pct = streaming(64 * MiB, gbs).pctOfRoof;
      expect(pct).toBeLessThanOrEqual(100 + 1e-9);
      expect(pct).toBeGreaterThanOrEqual(last);
      last = pct;
    }
  });

  it('keeps the compute roof: a high-intensity kernel is compute-bound at its level', () => {
    // sgemm-like: 2e9 flop over 12 MiB in 10 ms
    const r = roofline(profile, 'float', 2e9, 12 * MiB, 0.01, 12 * MiB);
    expect(r).toMatchObject({ level: 'L3', bound: 'compute', roofGflops: 540 });
    expect(r.pctOfRoof).toBeCloseTo((100 * 200) / 540, 6);
    expect(roofPhrase(r)).toBe('37.0% of the compute roof, data in L3');
    expect(roofPhrase(streaming(64 * MiB, 28.5), 0)).toBe('50% of the DRAM roof');
  });

  it('treats a profile without levels as DRAM only, and says it must be measured again', () => {
    const { levels: _, ...old } = profile;
    const legacy = old as DeviceProfile;
    expect(isCurrentProfile(legacy)).toBe(false);
    expect(isCurrentProfile(undefined)).toBe(false);
    // a CPU profile from before the bandwidth curve is measured again; a GPU's has no curve
    expect(isCurrentProfile(profile)).toBe(false);
    expect(isCurrentProfile({ ...profile, curve: [{ bytes: 96 * KiB, gbs: 1000 }] })).toBe(true);
    expect(isCurrentProfile({ ...profile, fingerprint: { ...profile.fingerprint, kind: 'cuda' } })).toBe(true);
    expect(roofline(legacy, 'float', 1e6, 4e6, 4e6 / 28.5e9, 1000)).toMatchObject({ level: 'DRAM', levelGBs: 57 });
  });

  it('works out a target’s working set from its arrays at the bench size', () => {
    const sgemm = loadTarget(join(CATALOG_DIR, 'sgemm'));
    expect(workingSetBytes(sgemm)).toBe(3 * 1024 * 1024 * 4);
    const sum = loadTarget(join(CATALOG_DIR, 'sum'));
    expect(workingSetBytes(sum, { N: 1000 })).toBe(1001 * 4);
    expect(targetRoofline(profile, sum, (64 * MiB) / 40e9)).toMatchObject({ level: 'DRAM', fitsIn: 'DRAM', workingSetBytes: (16 * MiB + 1) * 4 });
  });

  it('prints the levels on one line and keeps bandwidths from rising towards slower levels', () => {
    expect(formatLevels(levels)).toBe('L1 48 KiB 1000 GB/s · L2 1 MiB 530 GB/s · L3 32 MiB 250 GB/s · DRAM 57.0 GB/s');
    const noisy = monotonic([levels[0], { ...levels[1], gbs: { one: 30, all: 40 } }, levels[3]]);
    expect(noisy.map((l) => l.gbs.all)).toEqual([1000, 57, 57]);
    expect(levels[1].gbs.all).toBe(530); // the input is not changed
    // all cores measured while the machine was busy: never below one core
    expect(monotonic([{ ...levels[0], gbs: { one: 500, all: 120 } }])[0].gbs).toEqual({ one: 500, all: 500 });
  });
});

describe('cache levels from sysfs', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const fakeCpu = (caches: [level: number, type: string, size: string, shared: string][], siblings = '0'): string => {
    const dir = tmp('kloop-sysfs-');
    dirs.push(dir);
    mkdirSync(join(dir, 'topology'));
    writeFileSync(join(dir, 'topology', 'thread_siblings_list'), `${siblings}\n`);
    caches.forEach(([level, type, size, shared], i) => {
      const d = join(dir, 'cache', `index${i}`);
      mkdirSync(d, { recursive: true });
      for (const [k, v] of Object.entries({ level: String(level), type, size, shared_cpu_list: shared })) writeFileSync(join(d, k), `${v}\n`);
    });
    return dir;
  };

  it('parses sizes and CPU lists', () => {
    expect(parseCacheSize('48K')).toBe(48 * KiB);
    expect(parseCacheSize('32768K')).toBe(32 * MiB);
    expect(parseCacheSize('2M')).toBe(2 * MiB);
    expect(countCpuList('0-3,8-11')).toBe(8);
    expect(countCpuList('5')).toBe(1);
  });

  it('reads data and unified caches (not instruction caches) and plans working sets inside each level', () => {
    // an SMT machine: 2 threads per core share L1 and L2; 16 threads share L3
    const dir = fakeCpu(
      [
        [1, 'Data', '48K', '0,8'],
        [1, 'Instruction', '32K', '0,8'],
        [2, 'Unified', '2048K', '0,8'],
        [3, 'Unified', '32768K', '0-15'],
      ],
      '0,8',
    );
    const { caches, siblings, fromSysfs } = readCaches(dir);
    expect(fromSysfs).toBe(true);
    expect(siblings).toBe(2);
    expect(caches).toEqual([
      { level: 1, size: 48 * KiB, sharers: 2 },
      { level: 2, size: 2 * MiB, sharers: 2 },
      { level: 3, size: 32 * MiB, sharers: 16 },
    ]);
    const plan = planLevels(caches, siblings, 16, 64 * 1024 * MiB);
    expect(plan.map((p) => [p.name, p.bytes, p.shared])).toEqual([
      ['L1', 24 * KiB, false],
      ['L2', 1 * MiB, false],
      ['L3', 32 * MiB, true],
      ['DRAM', 64 * 1024 * MiB, true],
    ]);
    for (const p of plan.slice(0, -1)) {
      // one thread has the whole instance; all threads share it: each working set sits inside
      expect(p.wsAll).toBeLessThan(p.shared ? p.bytes / 16 : p.bytes);
      expect(p.wsOne).toBeLessThan(p.shared ? p.bytes : p.bytes * 2);
    }
    // each thread's L3 share (2 MiB) is twice its L2 share: its working set stays above the L2 share (not measuring L2 again)
    expect(plan[2].wsAll).toBeGreaterThan(1 * MiB);
    // DRAM: four times the L3 (at least 128 MiB), split over the threads
    expect(plan[3].wsOne).toBe(128 * MiB);
    expect(plan[3].wsAll).toBe(8 * MiB);
  });

  it('falls back to typical sizes where sysfs has none', () => {
    const dir = tmp('kloop-sysfs-');
    dirs.push(dir);
    const r = readCaches(dir);
    expect(r).toMatchObject({ fromSysfs: false, caches: TYPICAL_CACHES, siblings: 1 });
    expect(planLevels(r.caches, 1, 4, 8 * 1024 * MiB).map((p) => p.name)).toEqual(['L1', 'L2', 'L3', 'DRAM']);
  });
});
