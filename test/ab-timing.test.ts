import { describe, expect, it } from 'vitest';
import { Rng } from '../common/index.js';
import type { Device, TimedRun } from '../devices/index.js';
import { abTiming, type TimingConfig } from '../loop/index.js';
import { resolveTarget } from '../targets/index.js';

/** A device whose timed runs return scripted per-binary times with noise. */
function scriptedDevice(times: Record<string, number | 'crash'>, log: string[]): Device {
  const rng = new Rng(1);
  return {
    kind: 'cpu',
    async time(req): Promise<TimedRun> {
      log.push(req.binary);
      const t = times[req.binary];
      const run = { exitCode: t === 'crash' ? 139 : 0, signal: null, timedOut: false, stdout: '', stderr: '', truncated: false, wallMs: 1000 };
      if (t === 'crash') return { ok: false, timesNs: [], wallMs: 1000, run };
      return { ok: true, timesNs: [t * (1 + 0.04 * (rng.next() - 0.5))], wallMs: 1000, run };
    },
  } as Device;
}

const config: TimingConfig = { minPairs: 3, maxPairs: 6, minMs: 1, maxReps: 1, minSpeedup: 1.02 };

describe('interleaved A/B timing', () => {
  it('alternates baseline and candidates, and stops timing decided candidates after minPairs', async () => {
    const log: string[] = [];
    const device = scriptedDevice({ base: 100, fast: 50, slow: 150, edge: 97, same: 100 }, log);
    const cands = ['fast', 'slow', 'edge', 'same'].map((b) => ({ id: b, binary: b }));
    const r = await abTiming({ device, target: resolveTarget('sum'), size: { N: 8 }, input: 'x', workDir: '.', baseline: { id: 'b', binary: 'base' }, candidates: cands, config, exclusive: (fn) => fn() });
    expect(log.slice(0, 10)).toEqual(['base', 'fast', 'slow', 'edge', 'same', 'base', 'fast', 'slow', 'edge', 'same']);
    const f = r.get('fast')!;
    expect(f.pairs).toBe(3);
    expect(f.ciLow).toBeGreaterThan(1.02);
    expect(f.speedup).toBeCloseTo(2, 1);
    // clearly slower: decided after minPairs too
    expect(r.get('slow')!.pairs).toBe(3);
    expect(r.get('slow')!.ciHigh).toBeLessThan(1.02);
    // 3% faster under 4% noise: ahead of the bar, its interval straddling it, so it gets every pair there is
    const e = r.get('edge')!;
    expect(e.speedup).toBeGreaterThan(1.02);
    expect(e.pairs).toBe(config.maxPairs);
    expect(log.filter((b) => b === 'base')).toHaveLength(config.maxPairs);
    // as fast as the baseline: its interval straddles the bar too, but its estimate does not clear it,
    // so it is not timed past minPairs (and is not kept: its interval's lower end is below the bar)
    const same = r.get('same')!;
    expect(same.pairs).toBe(config.minPairs);
    expect(same.speedup).toBeLessThan(1.02);
    expect(same.ciHigh).toBeGreaterThan(1.02);
    expect(same.ciLow).toBeLessThan(1.02);
    expect(log.filter((b) => b === 'same')).toHaveLength(config.minPairs);
    expect(same.stoppedBelowBar).toBe(true);
    expect(e.stoppedBelowBar).toBeUndefined();
  });

  it('a candidate that crashes at the bench size is a result, not an exception', async () => {
    const device = scriptedDevice({ base: 100, bad: 'crash' }, []);
    const r = await abTiming({ device, target: resolveTarget('sum'), size: { N: 8 }, input: 'x', workDir: '.', baseline: { id: 'b', binary: 'base' }, candidates: [{ id: 'x', binary: 'bad' }], config, exclusive: (fn) => fn() });
    expect(r.get('x')!.ok).toBe(false);
    expect(r.get('x')!.error).toMatch(/crashed at the bench size/);
  });

  it('runs each timed process inside the exclusive section', async () => {
    let inside = 0;
    let maxInside = 0;
    const device = scriptedDevice({ base: 10, a: 5, b: 5 }, []);
    await abTiming({
      device,
      target: resolveTarget('sum'),
      size: { N: 8 },
      input: 'x',
      workDir: '.',
      baseline: { id: 'b', binary: 'base' },
      candidates: [
        { id: 'a', binary: 'a' },
        { id: 'b2', binary: 'b' },
      ],
      config,
      exclusive: async (fn) => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        try {
          return await fn();
        } finally {
          inside--;
        }
      },
    });
    expect(maxInside).toBe(1);
  });
});
