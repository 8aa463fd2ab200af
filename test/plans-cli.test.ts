import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '../memory/index.js';
import { HOSTILE_PLANS, parsePlan, type CepPlan } from '../plans/index.js';
import { kloop, tmp } from './helpers.js';
import { SMALL, storeCpuProfile } from './plan-helpers.js';

/** Through the built CLI (dist/), in a folder of its own: its memory, its runs, a small workload. */
describe('kloop workloads and kloop plan', () => {
  const dir = tmp('kloop-plan-cli-');
  const memory = join(dir, 'memory.json');
  const workload = join(dir, 'small');
  let plan: CepPlan;

  beforeAll(async () => {
    mkdirSync(workload);
    writeFileSync(join(workload, 'workload.yaml'), SMALL);
    await storeCpuProfile(memory, join(dir, 'cache'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the shipped workloads', () => {
    const r = kloop(dir, ['workloads']);
    expect(r.code).toBe(0);
    for (const n of ['attention-scores', 'mlp-block', 'stencil-pipeline']) expect(r.out).toContain(n);
    expect(r.out).toContain('qk: sgemm M=256 N=256 K=64 (rows split along M); B <- kt.B');
  });

  it('plans a workload from the stored CPU profile, prints it as CEP JSON and writes it', () => {
    const out = join(dir, 'plan.json');
    const r = kloop(dir, ['plan', workload, '--json', '--memory', memory, '--out', out]);
    expect(r.code, r.out).toBe(0);
    plan = parsePlan(readFileSync(out, 'utf8'), out);
    expect(parsePlan(r.out, 'stdout')).toEqual(plan);
    expect(plan.workload.name).toBe('small');
    expect(plan.predicted).toMatchObject({ by: 'GP1' });
  }, 120_000);

  it('--check accepts it and refuses a hostile plan (exit 1) or a malformed one (exit 2), each in one line', () => {
    const file = join(dir, 'plan.json');
    const ok = kloop(dir, ['plan', '--check', file, '--workload', workload]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/valid CEP plan for small: \d+ steps/);
    const split = JSON.parse(readFileSync(file, 'utf8')) as CepPlan;
    // A plan with a copy to drop: the small workload split over two groups by hand when GP1 kept one device.
    const dropped = HOSTILE_PLANS.find((h) => h.name === 'dropped-slice')!.mutate(split);
    if (dropped) {
      writeFileSync(join(dir, 'dropped.json'), JSON.stringify(dropped));
      const bad = kloop(dir, ['plan', '--check', join(dir, 'dropped.json'), '--workload', workload]);
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/REJECTED: node \w+: rows .* \(a dropped slice\)/);
    }
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...split, cep: 'one' }));
    const malformed = kloop(dir, ['plan', '--check', join(dir, 'bad.json'), '--workload', workload]);
    expect(malformed.code).toBe(2);
    expect(malformed.out.trim().split('\n')).toHaveLength(1);
    expect(malformed.out).toMatch(/^kloop: .*bad\.json: cep plan: cep: expected 1/);
    expect(kloop(dir, ['plan', 'nope']).out).toMatch(/^kloop: workload "nope": no such file or folder and no shipped workload of that name/);
  });

  it('--run verifies the plan against the graph oracle and times it against the single-device plan', () => {
    const r = kloop(dir, ['plan', '--run', join(dir, 'plan.json'), '--workload', workload, '--memory', memory, '--pairs', '2']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/verified: static check .* elements of every node's outputs on every device equal the graph oracle/);
    expect(r.out).toMatch(/measured: [\d.]+ ms; the single-device plan \(whole CPU\) [\d.]+ ms; speedup [\d.]+x \[95% CI [\d.]+-[\d.]+, 2 interleaved pairs\]/);
  }, 120_000);

  it('kloop run --workload with --rounds 0 runs the plan round alone, one line per workload', () => {
    const r = kloop(dir, ['run', '--workload', workload, '--rounds', '0', '--memory', memory]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^plan small: (GP1 predicts no plan beats the single-device plan .*: nothing to try|kept: .*|not kept: .*)$/m);
    expect(kloop(dir, ['run', '--workload', workload, '--target', 'sum']).out).toMatch(/^kloop: --target and --workload: give one of them/);
  }, 120_000);

  it('kept plans appear in the review queue (off a terminal: listed after the winners)', async () => {
    await FileStore.open(memory).setPlan({
      workload: 'small',
      workloadHash: 'h',
      devices: 'cpu-x',
      plan,
      predictedMs: 1,
      measuredMs: 2,
      singleMs: 3,
      speedup: 1.5,
      ciLow: 1.2,
      ciHigh: 1.8,
      pairs: 7,
      verification: 'verified here',
      runId: 'run-7',
      at: '2026-11-30T07:30:00Z',
    });
    const r = kloop(dir, ['review', '--memory', memory]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/1 kept plan\(s\):\nsmall on .* \(cpu-x\), kept by run run-7 at 2026-11-30T07:30:00Z\n  1\.50x over the single-device plan \[95% CI 1\.20-1\.80, 7 interleaved pairs\]: 2\.000 ms against 3\.000 ms, measured/);
  });
});
