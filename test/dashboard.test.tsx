import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Journal, type KloopEvent } from '../loop/index.js';
import { formatEvent } from '../tui/event-line.js';
import { Dashboard } from '../tui/dashboard.js';
import { emptyDashboard, reduce, sparkline } from '../tui/dashboard-state.js';
import { tmp } from './helpers.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
const strip = (s: string | undefined) => (s ?? '').replace(/\x1b\[[0-9;]*m/g, '');

const events = (): (KloopEvent & { ts: string })[] => {
  const at = (s: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + s * 1000).toISOString();
  const result = (id: string, status: 'keep' | 'discard') => ({ id, target: 'sgemm', round: 1, status, verdict: 'proved', description: 'tile', flags: [], kinds: [], speedup: 2, ciLow: 1.5, ciHigh: 2.5, vsReference: 40 });
  return [
    { type: 'run.start', runId: 'r9', targets: ['sgemm', 'sum'], fingerprint: 'fp', options: { targets: [], workflowFile: 'W', rounds: 0, minutes: 10, noImprovementRounds: 4, candidates: 2, budgetUsd: 5 }, ts: at(0) },
    { type: 'round.start', target: 'sgemm', round: 1, baseline: 'reference', ts: at(1) },
    { type: 'candidate.proposed', target: 'sgemm', round: 1, id: 'sgemm-r1-c1', description: 'tile', flags: [], ts: at(2) },
    { type: 'candidate.proposed', target: 'sgemm', round: 1, id: 'sgemm-r1-c2', description: 'unroll', flags: [], ts: at(2) },
    { type: 'candidate.state', target: 'sgemm', id: 'sgemm-r1-c1', state: 'timing', ts: at(5) },
    { type: 'candidate.result', result: result('sgemm-r1-c2', 'discard'), ts: at(6) },
    { type: 'candidate.result', result: result('sgemm-r1-c1', 'keep'), ts: at(8) },
    { type: 'baseline.updated', target: 'sgemm', id: 'sgemm-r1-c1', vsReference: 40, speedup: 40, ts: at(9) },
    { type: 'model.usage', spend: { provider: 'openai', model: 'm', role: 'writer', inputTokens: 100, outputTokens: 50, usd: 0.0123 }, ts: at(9) },
    { type: 'round.start', target: 'sum', round: 1, baseline: 'reference', ts: at(10) },
    { type: 'candidate.proposed', target: 'sum', round: 1, id: 'sum-r1-c1', description: 'simd', flags: [], ts: at(10) },
  ] as (KloopEvent & { ts: string })[];
};

describe('live dashboard', () => {
  it('folds events into budget, per-target progress, candidates in flight and the last events', () => {
    const s = events().reduce((st, e) => reduce(st, e), emptyDashboard());
    expect(s.runId).toBe('r9');
    expect(s.targets.map((t) => [t.name, t.best, t.round])).toEqual([
      ['sgemm', 40, 1],
      ['sum', 1, 1],
    ]);
    expect(s.inFlight).toEqual([{ id: 'sum-r1-c1', target: 'sum', state: 'writing' }]);
    expect([s.candidates, s.keeps]).toEqual([2, 1]);
    expect(s.spentUsd).toBeCloseTo(0.0123);
    expect(s.events.at(-1)).toBe('[sum]   sum-r1-c1: simd');
    expect(sparkline([1, 2, 4, 40])).toMatch(/^▁.+█$/);
  });

  it('renders it as a person sees it', () => {
    const s = events().reduce((st, e) => reduce(st, e), emptyDashboard());
    const frame = strip(render(<Dashboard state={s} now={Date.parse('2026-01-01T00:01:30Z')} />).lastFrame());
    expect(frame).toContain('kloop run r9');
    expect(frame).toContain('elapsed 1:30 · remaining 8:30 · $0.0123 of $5 (4.9877 left) (150 tokens) · 2 candidates, 1 kept');
    expect(frame).toMatch(/sgemm\s+40\.00x ▁█\s+round 1 · chained estimate/);
    expect(frame).toContain('sum-r1-c1              writing');
    expect(frame).toContain('[sgemm]   new baseline sgemm-r1-c1: ~40.0x over the reference (chained, not measured)');
  });

  it("a target's final measurement against the reference replaces the chained figure, with its interval", () => {
    const final = { type: 'target.final', target: 'sgemm', id: 'sgemm-r1-c1', verdict: 'proved', speedup: 31.5, ciLow: 30.2, ciHigh: 32.9, pairs: 3, ts: '2026-01-01T00:00:20.000Z' } as KloopEvent & { ts: string };
    const s = [...events(), final].reduce((st, e) => reduce(st, e), emptyDashboard());
    expect(s.targets[0]).toMatchObject({ best: 31.5, measured: { ciLow: 30.2, ciHigh: 32.9, pairs: 3 } });
    const frame = strip(render(<Dashboard state={s} now={Date.parse('2026-01-01T00:01:30Z')} />).lastFrame());
    expect(frame).toMatch(/sgemm\s+31\.50x .*round 1 · measured vs reference, 95% CI 30\.20-32\.90/);
    expect(frame).toContain('[sgemm] vs reference: 31.50x (95% CI 30.20-32.90');
    expect(formatEvent(final)).toBe('[sgemm] vs reference: 31.50x (95% CI 30.20-32.90, 3 interleaved pairs in this run), best sgemm-r1-c1 [proved]');
    expect(formatEvent({ ...final, id: 'reference', verdict: 'reference', speedup: 1, ciLow: 1, ciHigh: 1, pairs: 0 } as KloopEvent)).toBe('[sgemm] vs reference: 1.00x (the best is the reference)');
  });

  it('kloop watch off a terminal prints one line per event and ends with the run', () => {
    const runs = tmp('kloop-watch-');
    const dir = join(runs, 'runs', 'r9');
    mkdirSync(dir, { recursive: true });
    const j = new Journal(join(dir, 'journal.jsonl'), () => new Date());
    for (const e of events()) j.append(e);
    j.append({ type: 'run.end', reason: 'time budget of 10 min spent' });
    const out = execFileSync('node', [CLI, 'watch', dir], { cwd: runs, encoding: 'utf8' });
    expect(out).toContain('run r9: sgemm, sum on fp');
    expect(out.trim().split('\n').at(-1)).toBe('run ended: time budget of 10 min spent');
  });
});
