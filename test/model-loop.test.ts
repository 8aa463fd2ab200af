import { describe, expect, it } from 'vitest';
import { blendPredictions, type Proposal } from '../agents/builtin/search.js';
import { summaryTable } from '../cli/summary-table.js';
import type { DeviceProfile } from '../devices/index.js';
import { applyEvent, emptyState, type CandidateResult, type RunSummary } from '../loop/index.js';
import { isMeasured, RunModel, runModelQuality, WRITER_MIN_TRAINED } from '../loop/run-model.js';
import { LowdbStore } from '../memory/index.js';
import { CM1_SIGNATURE } from '../model/index.js';
import { resolveTarget } from '../targets/index.js';
import { formatEvent } from '../tui/event-line.js';

const profile = {
  fingerprint: { id: 'cpu-t', kind: 'cpu', model: 'test', cores: 4, flagsHash: 'f', compiler: 'cc' },
  measuredAt: 'now',
  gflops: { fp32: { one: 50, all: 200 }, fp64: { one: 25, all: 100 } },
  bandwidthGBs: { one: 15, all: 30 },
} as DeviceProfile;
const sum = resolveTarget('sum');
const parallel = sum.referenceSource.replace(/^(\s*)for \(/m, '$1#pragma omp parallel for reduction(+:s)\n$1for (');

describe('CM1 in the loop', () => {
  it('predicts every draft before it is built, learns from measured ones, and stores itself: the next run starts from it', async () => {
    const memory = LowdbStore.memory();
    const warnings: string[] = [];
    const m = await RunModel.open(memory, 'cpu-t', (w) => warnings.push(w));
    expect(warnings).toEqual([]);
    expect(m.trained).toBe(0);
    const round = m.round({ target: sum, profile, cores: 4, baseline: { source: sum.referenceSource, flags: [] }, baselineNs: 4e6 });
    // before any measurement: a prediction (the static cost model's, damped); nothing for the writer yet
    expect(round.predict(parallel, ['-fopenmp'])!.speedup).toBeGreaterThan(1);
    expect(round.predict(sum.referenceSource, [])!.ns).toBeCloseTo(4e6, 3);
    expect(round.hint(parallel, ['-fopenmp'])).toBeUndefined();
    expect(round.predict('void sum(', ['-fopenmp'])).toBeDefined(); // any draft, parsed or not
    await round.learn(Array.from({ length: WRITER_MIN_TRAINED }, () => ({ source: parallel, flags: ['-fopenmp'], medianNs: 1e6, speedup: 4 })));
    expect(m.trained).toBe(WRITER_MIN_TRAINED);
    expect(round.hint(parallel, ['-fopenmp'])).toBeGreaterThan(0);
    const again = await RunModel.open(memory, 'cpu-t', (w) => warnings.push(w));
    expect(again.trained).toBe(WRITER_MIN_TRAINED);
    const p = again.round({ target: sum, profile, cores: 4, baseline: { source: sum.referenceSource, flags: [] }, baselineNs: 4e6 }).predict(parallel, ['-fopenmp'])!;
    expect(p.speedup).toBeGreaterThan(2.5);
    // another device has its own model
    expect((await RunModel.open(memory, 'cpu-other', () => undefined)).trained).toBe(0);
  });

  it('a model in memory from another kloop version, or damaged, is set aside with a warning: a fresh one starts, the run goes on', async () => {
    const memory = LowdbStore.memory();
    for (const junk of [{ kind: 'cm1', signature: 'cm1/0/old', ridge: {} }, 'garbage', { kind: 'cm1', signature: CM1_SIGNATURE, ridge: { version: 1 } }]) {
      await memory.putModel('cpu-t', junk);
      const warnings: string[] = [];
      const m = await RunModel.open(memory, 'cpu-t', (w) => warnings.push(w));
      expect(m.trained).toBe(0);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/the compute model in memory for cpu-t is not usable \(.+\): CM1 starts afresh/);
    }
  });

  it('its quality is over measured candidates it predicted: rejected or untimed ones are not measurements', () => {
    const r = (id: string, status: CandidateResult['status'], predicted?: number, measured?: number): CandidateResult => ({
      id,
      target: 'sum',
      round: 1,
      status,
      verdict: 'tested',
      description: '',
      flags: [],
      kinds: [],
      medianNs: measured,
      speedup: measured && 1e6 / measured,
      predictedNs: predicted,
      predictedSpeedup: predicted && 1e6 / predicted,
    });
    const results = [r('a', 'keep', 2e5, 2.5e5), r('b', 'discard', 5e5, 4e5), r('c', 'discard', 9e5, 1.1e6), r('d', 'invalid', 1e5, 1e7), r('e', 'crash', 1e5), r('f', 'discard', undefined, 3e5)];
    expect(results.map(isMeasured)).toEqual([true, true, true, false, false, true]);
    const q = runModelQuality(results);
    expect(q.n).toBe(3);
    expect(q.spearman).toBeCloseTo(1, 9);
    expect(q.medianAbsErrorPct).toBeCloseTo(20, 6);
  });

  it('the run’s quality is journaled, folded by the reducer, printed as a line and in the summary’s footer', () => {
    const quality = { n: 24, spearman: 0.61, spearmanNs: 0.98, medianAbsErrorPct: 12.34 };
    const e = { type: 'model.quality' as const, model: 'CM1', fingerprint: 'cpu-t', trained: 130, quality };
    const s = applyEvent(emptyState('r'), e);
    expect(s.model).toEqual({ name: 'CM1', trained: 130, ...quality });
    const line = 'compute model CM1: 24 candidates predicted before it trained on them: rank correlation 0.61 on speedups (0.98 on times), median |error| 12.3%; trained on 130 measurements on this device';
    expect(formatEvent(e)).toBe(line);
    expect(formatEvent({ type: 'candidate.proposed', target: 'sum', round: 1, id: 'sum-r1-c1', description: 'tile', flags: [], predictedNs: 1.5e6 })).toBe('[sum]   sum-r1-c1: tile (predicted 1.500 ms)');
    const summary = {
      runId: 'r',
      dir: '/d',
      reason: 'done',
      elapsedMs: 60_000,
      candidates: 24,
      keeps: 1,
      perTarget: [],
      spend: { total: { usd: 0, inputTokens: 0, outputTokens: 0, calls: 0 }, byRole: {}, byProvider: {}, byTarget: {} },
      broken: [],
      model: s.model,
    } as unknown as RunSummary;
    expect(summaryTable(summary)).toContain(line);
  });
});

describe('the built-in writer’s ranking with the compute model', () => {
  it('re-ranks the top of the pool by the average of the static cost rank and the predicted time rank', () => {
    const p = (cost: number) => ({ cost, source: `s${cost}`, kinds: [], program: { flags: [] } }) as unknown as Proposal;
    const pool = [p(1), p(2), p(3), p(4), p(5)];
    const predicted: Record<string, number> = { s1: 4, s2: 3, s3: 1, s4: 2 };
    blendPredictions(pool, (source) => predicted[source], 4);
    // cost ranks 0 1 2 3 + model ranks 3 2 0 1 = 3 3 2 4: s3 first, then s1 and s2 (ties by cost), s4; the rest untouched
    expect(pool.map((x) => x.source)).toEqual(['s3', 's1', 's2', 's4', 's5']);
    const unchanged = [p(1), p(2), p(3)];
    blendPredictions(unchanged, (source) => (source === 's2' ? undefined : 1), 3);
    expect(unchanged.map((x) => x.source)).toEqual(['s1', 's2', 's3']);
  });
});
