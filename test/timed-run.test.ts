import { describe, expect, it } from 'vitest';
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

  it('without a profile, only the outputs are judged', async () => {
    expect(await judgeTimedRun({ verifier: verifier(true), bench, target, outputFile: 'o', run, medianNs: 1 })).toMatchObject({ ok: true });
  });
});
