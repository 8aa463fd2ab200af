import { join } from 'node:path';
import { memoryCapGBs, type Device, type DeviceProfile } from '../devices/index.js';
import type { Target } from '../targets/index.js';
import { randomInt } from 'node:crypto';
import { makeInputs, TIMED_DISTRIBUTIONS, type Distribution } from './inputs.js';
import type { Rejected, Verdict } from './verdict.js';
import { judgeTimedRun } from './timed-run.js';
import type { BenchCheck, CheckPlan, Verifier } from './verifier.js';
import { writeFileSync } from 'node:fs';

export interface GateResult {
  verdict: Verdict;
  ms: { build: number; gate: number; timed: number };
  gflops?: number;
}

/**
 * The bench input of one run: a random seed and a distribution picked per run (a CSPRNG), so a
 * timed run's inputs are as unpredictable as a check's; its oracle and measured tolerance follow it
 * (cached by content).
 */
export function drawBenchInput(): { seed: number; distribution: Distribution } {
  // data of ordinary magnitude (inputs.ts says which, and why; checks draw them all)
  return { seed: randomInt(1, 2 ** 32 - 1), distribution: TIMED_DISTRIBUTIONS[randomInt(TIMED_DISTRIBUTIONS.length)] };
}

/** Prepare the bench-size input and oracle for `runGate` (once per target); `draw` fixes seed and distribution (tests). */
export async function prepareGateBench(verifier: Verifier, target: Target, dir: string, draw = drawBenchInput()): Promise<BenchCheck> {
  const inputs = makeInputs(target, target.benchSize, draw.seed, draw.distribution, { bench: true });
  const file = join(dir, `${target.name}-bench.in`);
  writeFileSync(file, inputs.bytes);
  return verifier.prepareBench(target, file, inputs.arrays, join(dir, 'bench-oracle'));
}

/**
 * The whole gate on one candidate, as `kloop verify` runs it: build; the verifier's layers; one
 * timed run at the bench size whose outputs are checked (the timed binary must be the verified
 * one in behaviour too); a speed above the device's measured peak is rejected as impossible.
 */
export async function runGate(o: { device: Device; verifier: Verifier; plan: CheckPlan; bench?: BenchCheck; profile?: DeviceProfile; target: Target; source: string; flags: string[]; workDir: string }): Promise<GateResult> {
  const t0 = performance.now();
  const build = await o.device.build({ target: o.target, source: o.source, flags: o.flags, workDir: o.workDir });
  const t1 = performance.now();
  if (!build.ok) {
    const first =
      build.log
        .split('\n')
        .find((l) => /error/.test(l))
        ?.trim() ?? 'does not compile';
    return { verdict: { status: 'rejected', layer: 'build', reason: first, detail: build.log, cases: [], maxErrorRatio: 0, layers: ['build'] }, ms: { build: t1 - t0, gate: 0, timed: 0 } };
  }
  const verdict = await o.verifier.verify(o.plan, { binary: build.binary!, source: o.source, flags: o.flags, workDir: o.workDir });
  const t2 = performance.now();
  const ms = { build: t1 - t0, gate: t2 - t1, timed: 0 };
  if (verdict.status === 'rejected' || !o.bench) return { verdict, ms };
  verdict.layers = [...(verdict.layers ?? []), 'timed-output'];
  const out = join(o.workDir, 'timed.out');
  const r = await o.device.time({ binary: build.binary!, target: o.target, size: o.target.benchSize, input: o.bench.inputFile, output: out, minMs: 50, maxReps: 5, workDir: o.workDir, timeoutMs: 600_000 });
  ms.timed = performance.now() - t2;
  const reject = (layer: Rejected['layer'], reason: string): GateResult => ({ verdict: { ...verdict, status: 'rejected', layer, reason }, ms });
  if (!r.ok) return reject('run', r.run.timedOut ? 'timed out at the bench size' : `failed at the bench size (exit ${r.run.exitCode}${r.reason ? `: ${r.reason}` : ''})`);
  const median = [...r.timesNs].sort((a, b) => a - b)[r.timesNs.length >> 1];
  const profile = o.profile;
  if (profile) verdict.layers.push('roofline');
  const judged = await judgeTimedRun({
    verifier: o.verifier,
    bench: o.bench,
    target: o.target,
    outputFile: out,
    run: { binary: build.binary!, workDir: o.workDir },
    medianNs: median,
    peakGflops: profile && (() => (o.target.real === 'float' ? profile.gflops.fp32.all : profile.gflops.fp64.all)),
    memoryCapGBs: profile && (() => memoryCapGBs(profile, o.target)),
  });
  if (!judged.ok) return reject(judged.layer, judged.reason);
  const gflops = judged.gflops;
  return { verdict, ms, gflops };
}
