import { describe, expect, it } from 'vitest';
import { planCurve, planLevels } from '../devices/cpu/cache-levels.js';
import { bandwidthAt, monotonicCurve, roofline, type DeviceProfile, type MemoryLevel } from '../devices/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;

const levels: MemoryLevel[] = [
  { name: 'L1', bytes: 48 * KiB, shared: false, gbs: { one: 500, all: 1000 } },
  { name: 'L2', bytes: 1 * MiB, shared: false, gbs: { one: 270, all: 530 } },
  { name: 'L3', bytes: 32 * MiB, shared: true, gbs: { one: 120, all: 200 } },
  { name: 'DRAM', bytes: 16 * 1024 * MiB, shared: true, gbs: { one: 45, all: 47 } },
];
/** What this project's machine measured streaming each working set with both cores (GB/s). */
const curve = monotonicCurve([
  { bytes: 4 * MiB, gbs: 220 },
  { bytes: 8 * MiB, gbs: 205 },
  { bytes: 16 * MiB, gbs: 193 },
  { bytes: 32 * MiB, gbs: 115 },
  { bytes: 64 * MiB, gbs: 61 },
  { bytes: 128 * MiB, gbs: 47 },
]);
const profile: DeviceProfile = {
  fingerprint: { id: 'cpu-t', kind: 'cpu', model: 'Test CPU', cores: 2, flagsHash: 'f', compiler: 'cc' },
  measuredAt: '2026-01-01T00:00:00Z',
  gflops: { fp32: { one: 270, all: 540 }, fp64: { one: 135, all: 270 } },
  bandwidthGBs: { one: 45, all: 47 },
  levels,
  curve,
};
const streaming = (ws: number, gbs: number) => roofline(profile, 'float', ws / 8, ws, ws / (gbs * 1e9), ws);

describe('the bandwidth curve (HP1)', () => {
  it('interpolates geometrically between measured working sets and holds the end points beyond them', () => {
    expect(bandwidthAt(curve, 32 * MiB)).toBe(115);
    expect(bandwidthAt(curve, 1 * MiB)).toBe(220);
    expect(bandwidthAt(curve, 1024 * MiB)).toBe(47);
    const mid = bandwidthAt(curve, Math.sqrt(32 * 64) * MiB)!;
    expect(mid).toBeCloseTo(Math.sqrt(115 * 61), 6);
    expect(bandwidthAt(undefined, 32 * MiB)).toBeUndefined();
    expect(bandwidthAt([], 32 * MiB)).toBeUndefined();
  });

  it('never rises with the working set, whatever order or noise the points came in', () => {
    const noisy = monotonicCurve([
      { bytes: 64 * MiB, gbs: 70 },
      { bytes: 16 * MiB, gbs: 50 },
      { bytes: 32 * MiB, gbs: 115 },
      { bytes: 8 * MiB, gbs: 0 },
    ]);
    expect(noisy.map((p) => p.bytes)).toEqual([16 * MiB, 32 * MiB, 64 * MiB]);
    expect(noisy.map((p) => p.gbs)).toEqual([115, 115, 70]);
  });

  it('places a working set as large as a cache against what was measured at that size, not against the cache', () => {
    // softmax 4096x1024 in fp32: 32 MiB on a 32 MiB L3, which does not hold it whole
    const r = streaming(32 * MiB, 40);
    expect(r.level).toBe('L3');
    expect(r.levelGBs).toBe(115);
    expect(r.pctOfRoof).toBeCloseTo((100 * 40) / 115, 6);
    // well inside the cache: never above the level's own measurement
    expect(streaming(8 * MiB, 100).levelGBs).toBe(200);
    // a point measured while the machine was busy never lowers the roof below the level that holds the working set twice over
    const busy = {
      ...profile,
      curve: monotonicCurve([
        { bytes: 16 * MiB, gbs: 193 },
        { bytes: 32 * MiB, gbs: 20 },
        { bytes: 64 * MiB, gbs: 20 },
      ]),
    };
    expect(roofline(busy, 'float', 4 * MiB, 32 * MiB, 1e-3, 32 * MiB).levelGBs).toBe(47);
    expect(roofline(busy, 'float', 1 * MiB, 8 * MiB, 1e-3, 8 * MiB).levelGBs).toBe(200);
    // a kernel faster than the curve at its size is at its roof, never above
    expect(streaming(32 * MiB, 130)).toMatchObject({ outran: true, pctOfRoof: 100 });
    let last = 0;
    for (const gbs of [10, 50, 114, 115, 116, 300]) {
      const pct = streaming(32 * MiB, gbs).pctOfRoof;
      expect(pct).toBeGreaterThanOrEqual(last);
      expect(pct).toBeLessThanOrEqual(100);
      last = pct;
    }
  });

  it('plans working sets doubling from the first level to DRAM', () => {
    const caches = [
      { level: 1, size: 48 * KiB, sharers: 1 },
      { level: 2, size: 1 * MiB, sharers: 1 },
      { level: 3, size: 32 * MiB, sharers: 2 },
    ];
    const plans = planLevels(caches, 1, 2, 16 * 1024 * MiB);
    const points = planCurve(plans, 2);
    expect(points[0]).toBe(plans[0].wsAll * 2);
    for (let i = 1; i < points.length; i++) expect(points[i]).toBe(points[i - 1] * 2);
    expect(points.at(-1)!).toBeLessThanOrEqual(plans.at(-1)!.wsAll * 2 * 1.01);
    expect(points.at(-1)! * 2).toBeGreaterThan(plans.at(-1)!.wsAll * 2 * 1.01);
    // every level's own size lies inside the curve
    expect(points.some((w) => w >= 32 * MiB)).toBe(true);
  });
});
