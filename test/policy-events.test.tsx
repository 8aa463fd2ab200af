import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../common/index.js';
import { applyEvent, emptyState, Journal, replay, type KloopEvent } from '../loop/index.js';
import { maxRounds, nearRoof, noImprovementFor, searchExhausted, userCondition } from '../loop/stop.js';
import { decide } from '../policy/index.js';
import { Dashboard } from '../tui/dashboard.js';
import { emptyDashboard, reduce } from '../tui/dashboard-state.js';
import { formatEvent } from '../tui/event-line.js';
import { tmp } from './helpers.js';

const strip = (s: string | undefined) => (s ?? '').replace(/\x1b\[[0-9;]*m/g, '');
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A run's journal: two targets, a kept candidate, empty rounds, model spend, decisions. Each event at its second. */
function script(): [number, KloopEvent][] {
  const result = (id: string, target: string, status: 'keep' | 'discard' | 'invalid', speedup: number | undefined, kinds: string[]) => ({
    type: 'candidate.result' as const,
    result: { id, target, round: 1, status, verdict: status === 'invalid' ? 'rejected (tests)' : 'tested', description: kinds.join('; '), flags: [], kinds, speedup, pctOfRoof: 35 },
  });
  const arms = [
    { target: 'sum', weight: 1, rounds: 0, seconds: 0, share: 0, fits: true },
    { target: 'jacobi', weight: 1, rounds: 0, seconds: 0, share: 0, fits: true },
  ];
  return [
    [0, { type: 'run.start', runId: 'r', targets: ['sum', 'jacobi'], fingerprint: 'fp', options: { targets: ['sum', 'jacobi'], workflowFile: 'W', rounds: 0, minutes: 10, noImprovementRounds: 0, candidates: 3 } }],
    [1, { type: 'policy.decision', n: 1, target: 'sum', round: 1, why: 'not tried yet (optimistic prior: every target gets a first round)', arms, widen: 0, families: {} }],
    [1, { type: 'round.start', target: 'sum', round: 1, baseline: 'reference' }],
    [2, { type: 'baseline.profile', target: 'sum', round: 1, profile: { target: 'sum', medianNs: 1e6, vsReference: 1, summary: '', roofline: { gflops: 1, gbs: 4, intensity: 0.25, roofGflops: 5, pctOfRoof: 20, bound: 'memory' } } }],
    [3, { type: 'model.usage', spend: { provider: 'p', model: 'm', role: 'writer', target: 'sum', inputTokens: 900, outputTokens: 100, usd: 0.01 } }],
    [9, result('sum-r1-c1', 'sum', 'keep', 1.6, ['parallel', 'simd']) as KloopEvent],
    [9, result('sum-r1-c2', 'sum', 'discard', 0.9, ['unroll:4']) as KloopEvent],
    [9, result('sum-r1-c3', 'sum', 'invalid', undefined, ['tile:32']) as KloopEvent],
    [11, { type: 'round.end', target: 'sum', round: 1, kept: 'sum-r1-c1', proposed: 3 }],
    [12, { type: 'policy.decision', n: 2, target: 'jacobi', round: 1, why: 'not tried yet', arms, widen: 0, families: {} }],
    [12, { type: 'round.start', target: 'jacobi', round: 1, baseline: 'reference' }],
    [13, { type: 'round.end', target: 'jacobi', round: 1, proposed: 0 }],
    [14, { type: 'round.start', target: 'jacobi', round: 2, baseline: 'reference' }],
    [16, { type: 'round.end', target: 'jacobi', round: 2, proposed: 0 }],
  ];
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The journal written as a live run writes it (each event applied as it is appended), and the state that run had. */
function liveRun(): { path: string; live: ReturnType<typeof emptyState> } {
  const dir = tmp('kloop-policy-');
  dirs.push(dir);
  const path = join(dir, 'journal.jsonl');
  let now = T0;
  const journal = new Journal(path, () => new Date(now));
  const live = emptyState('r');
  for (const [at, e] of script()) {
    now = T0 + at * 1000;
    applyEvent(live, journal.append(e));
  }
  return { path, live };
}

describe("PO1's decisions are journaled and its statistics rebuilt from the journal", () => {
  it('folds rounds, gains, spend, widening, roof and move families from the events', () => {
    const { live } = liveRun();
    const sum = live.policy.arms.get('sum')!;
    expect(sum.rounds).toEqual([{ round: 1, seconds: 10, logGain: Math.log(1.6), logBefore: 0, usd: 0.01, tokens: 1000 }]);
    expect(sum.pctOfRoof).toBe(35); // the kept candidate's, after the baseline's 20
    expect(sum.widen).toBe(0);
    expect(Object.fromEntries(sum.families)).toEqual({ parallel: { n: 1, reward: 1 }, simd: { n: 1, reward: 1 }, unroll: { n: 1, reward: 0.1 }, tile: { n: 1, reward: 0 } });
    const jacobi = live.policy.arms.get('jacobi')!;
    expect(jacobi.widen).toBe(2); // two rounds in a row with nothing new
    expect(jacobi.rounds.map((r) => r.seconds)).toEqual([1, 2]);
    expect(live.policy.decisions).toBe(2);
  });

  it('--resume folds the same journal into the same statistics, and PO1 decides the same', () => {
    const { path, live } = liveRun();
    const resumed = replay('r', Journal.read(path));
    expect(resumed.policy).toEqual(live.policy);
    const arms = [{ target: 'sum' }, { target: 'jacobi' }];
    expect(decide({ stats: resumed.policy, arms, left: { ms: 60_000 }, rng: new Rng(3) })).toEqual(decide({ stats: live.policy, arms, left: { ms: 60_000 }, rng: new Rng(3) }));
  });

  it('a round a kill left open is closed at the last event before the kill: its gain counts, not as a full round', () => {
    const { path } = liveRun();
    let now = T0 + 20_000;
    const journal = new Journal(path, () => new Date(now));
    journal.append({ type: 'round.start', target: 'sum', round: 2, baseline: 'sum-r1-c1' });
    now += 30_000;
    journal.append({ type: 'candidate.result', result: { id: 'sum-r2-c1', target: 'sum', round: 2, status: 'keep', verdict: 'proved', description: 'unroll', flags: [], kinds: ['unroll:4'], speedup: 1.2 } });
    now += 60_000; // killed, resumed a minute later
    journal.append({ type: 'run.resume', runId: 'r' });
    journal.append({ type: 'round.start', target: 'sum', round: 3, baseline: 'sum-r2-c1' });
    now += 4000;
    journal.append({ type: 'round.end', target: 'sum', round: 3, proposed: 3 });
    const sum = replay('r', Journal.read(path)).policy.arms.get('sum')!;
    expect(sum.rounds.map((r) => [r.round, r.seconds, r.logGain, !!r.cut])).toEqual([
      [1, 10, Math.log(1.6), false],
      [2, 30, Math.log(1.2), true],
      [3, 4, 0, false],
    ]);
    expect(sum.logSpeedup).toBeCloseTo(Math.log(1.6 * 1.2));
  });

  it('a kept candidate narrows the search back to the new baseline', () => {
    const s = emptyState('r');
    for (const e of [
      { type: 'round.end', target: 't', round: 1, proposed: 0 },
      { type: 'round.end', target: 't', round: 2, proposed: 0 },
      { type: 'round.end', target: 't', round: 3, proposed: 2 },
    ] as KloopEvent[])
      applyEvent(s, e);
    expect(s.policy.arms.get('t')!.widen).toBe(2);
    applyEvent(s, { type: 'round.end', target: 't', round: 4, kept: 't-r4-c1', proposed: 2 });
    expect(s.policy.arms.get('t')!.widen).toBe(0);
  });
});

describe('why a target stops', () => {
  const at = (target: object) => ({ elapsedMs: 0, now: new Date(), target: { rounds: 5, lastKeepRound: 1, roundsSinceKeep: 4, ...target } });
  it('names user stop conditions, the roof and an exhausted search', () => {
    expect(userCondition(maxRounds(5))(at({}))).toBe('user stop condition: 5 rounds done');
    expect(userCondition(noImprovementFor(4))(at({}))).toBe('user stop condition: no improvement in 4 rounds');
    expect(noImprovementFor(0)(at({ roundsSinceKeep: 40 }))).toBeUndefined(); // 0: off, the default
    expect(nearRoof(10)(at({ pctOfRoof: 92.4 }))).toBe('within 10% of its roof (92% of the measured roof)');
    expect(nearRoof(10)(at({ pctOfRoof: 85 }))).toBeUndefined();
    expect(searchExhausted(4)(at({ widen: 4 }))).toBeUndefined();
    expect(searchExhausted(4)(at({ widen: 5 }))).toMatch(/^search exhausted after widening \(4 times/);
  });
});

describe('the decision in the log and on the dashboard', () => {
  const decision: KloopEvent = {
    type: 'policy.decision',
    n: 7,
    target: 'sum',
    round: 4,
    why: 'highest expected gain per second: 0.0120/s + exploration 0.00300/s',
    arms: [
      { target: 'sum', weight: 1, rounds: 3, seconds: 40, share: 0.4, rate: 0.012, bonus: 0.003, score: 0.015, fits: true },
      { target: 'jacobi', weight: 1, rounds: 4, seconds: 60, share: 0.6, rate: 0.001, bonus: 0.002, score: 0.003, fits: true },
    ],
    widen: 1,
    archive: 2,
    families: { parallel: 1.4 },
  };
  it('one line per decision', () => {
    expect(formatEvent(decision)).toBe('policy #7: sum round 4 — highest expected gain per second: 0.0120/s + exploration 0.00300/s; search widened ×1, 2 archived variants; sum 40% 0.015/s, jacobi 60% 0.0030/s');
  });

  it('a line with the current allocation', () => {
    const s = reduce(emptyDashboard(), { ...decision, ts: '2026-01-01T00:00:30.000Z' } as KloopEvent & { ts: string });
    const frame = strip(render(<Dashboard state={s} now={T0 + 30_000} />).lastFrame());
    expect(frame).toContain('policy: sum 40% 0.015/s, jacobi 60% 0.0030/s → sum (highest expected gain per second');
  });
});
