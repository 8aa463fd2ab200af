import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { promptVars } from '../agents/llm/prompt-vars.js';
import type { RoundContext } from '../agents/index.js';
import { summaryTable } from '../cli/summary-table.js';
import { roofline, type DeviceProfile } from '../devices/index.js';
import type { KloopEvent, RunSummary } from '../loop/index.js';
import { resolveTarget } from '../targets/index.js';
import { Dashboard } from '../tui/dashboard.js';
import { emptyDashboard, reduce } from '../tui/dashboard-state.js';
import { formatEvent } from '../tui/event-line.js';

const MiB = 1 << 20;
const profile: DeviceProfile = {
  fingerprint: { id: 'cpu-t', kind: 'cpu', model: 'Test CPU', cores: 2, flagsHash: 'f', compiler: 'cc' },
  measuredAt: '2026-01-01T00:00:00Z',
  gflops: { fp32: { one: 270, all: 540 }, fp64: { one: 135, all: 270 } },
  bandwidthGBs: { one: 45, all: 57 },
  levels: [
    { name: 'L1', bytes: 48 * 1024, shared: false, gbs: { one: 500, all: 1000 } },
    { name: 'L2', bytes: MiB, shared: false, gbs: { one: 270, all: 530 } },
    { name: 'L3', bytes: 32 * MiB, shared: true, gbs: { one: 120, all: 250 } },
    { name: 'DRAM', bytes: 16 * 1024 * MiB, shared: true, gbs: { one: 45, all: 57 } },
  ],
};
// sum over 64 MiB at 28.5 GB/s: half of the DRAM roof
const dram = roofline(profile, 'float', 16 * MiB, 64 * MiB, (64 * MiB) / 28.5e9, 64 * MiB);
const strip = (s: string | undefined) => (s ?? '').replace(/\x1b\[[0-9;]*m/g, '');

describe('every % of roof names its level', () => {
  it('the device line prints the measured levels', () => {
    expect(formatEvent({ type: 'device.profile', profile, measured: true })).toBe('device Test CPU (2 cores) measured: fp32 540 GFLOP/s, fp64 270 GFLOP/s; L1 48 KiB 1000 GB/s · L2 1 MiB 530 GB/s · L3 32 MiB 250 GB/s · DRAM 57.0 GB/s');
  });

  it('the dashboard shows each target against its roof', () => {
    const events: KloopEvent[] = [
      { type: 'run.start', runId: 'r1', targets: ['sum'], fingerprint: 'fp', options: { targets: [], workflowFile: 'W', rounds: 1, noImprovementRounds: 0, candidates: 2 } },
      { type: 'baseline.profile', target: 'sum', round: 1, profile: { target: 'sum', medianNs: 1e6, vsReference: 1, summary: '', roofline: dram } },
    ];
    const s = events.reduce((st, e) => reduce(st, e), emptyDashboard());
    expect(s.targets[0].roof).toBe('50% of the DRAM roof');
    const kept = reduce(s, {
      type: 'candidate.result',
      result: { id: 'sum-r1-c1', target: 'sum', round: 1, status: 'keep', verdict: 'proved', description: 'simd', flags: [], kinds: [], pctOfRoof: 88, roofLevel: 'L3', roofBound: 'memory' },
    });
    expect(kept.targets[0].roof).toBe('88% of the L3 roof');
    expect(strip(render(<Dashboard state={kept} />).lastFrame())).toContain('· 88% of the L3 roof');
  });

  it('the run table says which roof: a memory level, or compute', () => {
    const row = (target: string, pctOfRoof: number, roofLevel: string, roofBound: 'memory' | 'compute') => ({
      target,
      rounds: 1,
      candidates: 1,
      keeps: 0,
      vsReference: 1,
      measured: false,
      best: 'reference',
      verdict: 'reference',
      bestGflops: 1,
      pctOfRoof,
      roofLevel,
      roofBound,
      stopReason: 'done',
    });
    const summary = {
      runId: 'r',
      dir: '/x',
      reason: 'done',
      elapsedMs: 60_000,
      candidates: 2,
      keeps: 0,
      perTarget: [row('sum', 51.07, 'DRAM', 'memory'), row('sgemm', 9.27, 'L3', 'compute')],
      spend: { total: { calls: 0 } },
    } as unknown as RunSummary;
    const table = summaryTable(summary);
    expect(table).toMatch(/^sum .* 51\.1% DRAM$/m);
    expect(table).toMatch(/^sgemm .* 9\.3% compute$/m);
  });

  it('the prompts get profile.roof_level, profile.roof_gbs and device.memory_levels', () => {
    const target = resolveTarget('sum');
    const ctx = {
      target,
      baseline: { target: 'sum', fingerprint: 'cpu-t', source: '', flags: [], vsReference: 1, verdict: 'reference', description: '', lineage: [], updatedAt: '' },
      deviceProfile: profile,
      insights: [],
      history: [],
      round: 1,
      candidates: 2,
      profile: { target: 'sum', medianNs: 1e6, vsReference: 1, summary: '', roofline: dram },
    } as unknown as RoundContext;
    const v = promptVars(ctx) as { profile: Record<string, string>; device: Record<string, string> };
    expect(v.profile).toMatchObject({ roof_level: 'DRAM', roof_gbs: '57.0', pct_of_roof: '50.0', bound: 'memory' });
    expect(v.device.memory_levels).toBe('L1 48 KiB 1000 GB/s · L2 1 MiB 530 GB/s · L3 32 MiB 250 GB/s · DRAM 57.0 GB/s');
  });
});
