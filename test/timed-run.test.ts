import { describe, expect, it } from 'vitest';
import { RwLock } from '../common/index.js';
import { memoryCapGBs, type DeviceProfile } from '../devices/index.js';
import { resolveTarget } from '../targets/index.js';
import { judgeTimedRun, type BenchCheck, type Verifier } from '../verifiers/index.js';

/** The gate's last layers, one function for kloop run and kloop verify: timed outputs, then an impossible speed. */
describe('judgeTimedRun', () => {
  const target = resolveTarget('sgemm');
  const flops = 2 * 1024 ** 3; // sgemm at its bench size
  const verifier = (ok: boolean) => ({ checkTimedOutput: async () => (ok ? { ok: true as const } : { ok: false as const, reason: 'wrong C[3][4]' }) }) as unknown as Verifier;
  const bench = {} as BenchCheck;
  const run = { binary: '/x', workDir: '/tmp' };

  it('wrong outputs of the timed run decide first, whatever the speed', async () => {
    const j = await judgeTimedRun({ verifier: verifier(false), bench, target, outputFile: 'o', run, medianNs: 1, peakGflops: () => 100 });
    expect(j).toMatchObject({ ok: false, layer: 'timed-output', reason: 'wrong C[3][4]' });
  });

  it('a speed above the measured peak by more than 10% is impossible; at the peak it is not', async () => {
    const fast = await judgeTimedRun({ verifier: verifier(true), bench, target, outputFile: 'o', run, medianNs: flops / 200, peakGflops: () => 100 });
    expect(fast).toMatchObject({ ok: false, layer: 'roofline' });
    expect(fast.ok || fast.reason).toMatch(/200\.0 GFLOP\/s is above the device's measured peak of 100\.0/);
    expect(await judgeTimedRun({ verifier: verifier(true), bench, target, outputFile: 'o', run, medianNs: flops / 105, peakGflops: () => 100 })).toMatchObject({ ok: true });
  });

  it('the peak is asked with the speed seen, so a caller can measure it again before calling a speed impossible', async () => {
    const seen: number[] = [];
    const j = await judgeTimedRun({ verifier: verifier(true), bench, target, outputFile: 'o', run, medianNs: flops / 200, peakGflops: (s) => (seen.push(s), s > 110 ? 250 : 100) });
    expect(seen).toEqual([200]);
    expect(j).toMatchObject({ ok: true, gflops: 200 });
  });

  it("measuring a limit again (the device alone) while the output check shares the device's lock never deadlocks", async () => {
    const lock = new RwLock();
    const remeasured: number[] = [];
    const peakGflops = (s: number) => lock.exclusive(async () => (remeasured.push(s), 250));
    const memoryCap = () => lock.exclusive(async () => undefined);
    const j = await Promise.race([
      judgeTimedRun({ verifier: verifier(true), bench, target, outputFile: 'o', run, medianNs: flops / 200, peakGflops, memoryCapGBs: memoryCap, shared: (fn) => lock.shared(fn) }),
      new Promise((r) => setTimeout(() => r('deadlocked'), 2000)),
    ]);
    expect(j).toMatchObject({ ok: true, gflops: 200 });
    expect(remeasured).toEqual([200]);
  });

  it('moving a working set no cache holds at over twice the memory bandwidth is impossible (a memo kept between calls)', async () => {
    const sum = resolveTarget('sum'); // 2^24 floats at its bench size: 64 MiB
    const profile = {
      fingerprint: { cores: 2 },
      bandwidthGBs: { one: 20, all: 40 },
      levels: [
        { name: 'L2', bytes: 1 << 20, shared: false, gbs: { one: 200, all: 400 } },
        { name: 'L3', bytes: 16 << 20, shared: true, gbs: { one: 100, all: 150 } },
        { name: 'DRAM', bytes: Infinity, shared: true, gbs: { one: 20, all: 40 } },
      ],
    } as unknown as DeviceProfile;
    expect(memoryCapGBs(profile, sum)).toBe(80);
    // a working set a cache holds twice over (sgemm, 12 MiB, against 2 x 16 MiB of L3): no cap
    expect(memoryCapGBs(profile, target)).toBeUndefined();
    const bytes = 4 * 2 ** 24;
    const memo = await judgeTimedRun({ verifier: verifier(true), bench, target: sum, outputFile: 'o', run, medianNs: bytes / 160, memoryCapGBs: () => memoryCapGBs(profile, sum) });
    expect(memo).toMatchObject({ ok: false, layer: 'roofline' });
    expect(memo.ok || memo.reason).toMatch(/moved its bytes at 160\.0 GB\/s, over twice the device's measured memory bandwidth \(cap 80\.0 GB\/s\)/);
    // at the memory's own speed (or somewhat above: bytes formulas and measurements are not exact) it is a kernel
    expect(await judgeTimedRun({ verifier: verifier(true), bench, target: sum, outputFile: 'o', run, medianNs: bytes / 60, memoryCapGBs: () => memoryCapGBs(profile, sum) })).toMatchObject({ ok: true });
    // the cap is asked with the GB/s seen (a caller measures the bandwidth again first)
    const seen: number[] = [];
    await judgeTimedRun({ verifier: verifier(true), bench, target: sum, outputFile: 'o', run, medianNs: bytes / 100, memoryCapGBs: (s) => (seen.push(s), 200) });
    expect(seen).toEqual([100]);
  });

  it('without a profile, only the outputs are judged', async () => {
    expect(await judgeTimedRun({ verifier: verifier(true), bench, target, outputFile: 'o', run, medianNs: 1 })).toMatchObject({ ok: true });
  });
});
