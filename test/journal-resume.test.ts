import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, parseResults, replay, writeResults, type CandidateResult } from '../loop/index.js';
import { tmp } from './helpers.js';

const result = (id: string, status: CandidateResult['status'], round = 1): CandidateResult => ({ id, target: 'sum', round, status, speedup: 2, ciLow: 1.5, ciHigh: 2.5, vsReference: 2, verdict: 'tested', description: 'omp parallel for on i', flags: ['-fopenmp'], kinds: ['parallel'] });

describe('journal and resume', () => {
  it('appends numbered, timestamped events and ignores a torn last line', () => {
    const f = join(tmp(), 'journal.jsonl');
    const j = new Journal(f, () => new Date('2026-01-01T00:00:00Z'));
    j.append({ type: 'warning', message: 'a' });
    j.append({ type: 'warning', message: 'b' });
    appendFileSync(f, '{"type":"warn');
    const events = Journal.read(f);
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    expect(new Journal(f, () => new Date()).append({ type: 'warning', message: 'c' }).seq).toBe(3);
  });

  it('rebuilds rounds, results, elapsed time and pending keeps from the events', () => {
    const f = join(tmp(), 'journal.jsonl');
    let t = Date.parse('2026-01-01T00:00:00Z');
    const j = new Journal(f, () => new Date(t));
    const at = (ms: number) => (t += ms);
    j.append({ type: 'run.start', runId: 'r', targets: ['sum'], fingerprint: 'fp', options: { targets: ['sum'], workflowFile: 'W', rounds: 0, noImprovementRounds: 4, candidates: 2 } });
    at(1000);
    j.append({ type: 'round.start', target: 'sum', round: 1, baseline: 'reference' });
    j.append({ type: 'candidate.result', result: result('sum-r1-c1', 'discard') });
    j.append({ type: 'candidate.result', result: result('sum-r1-c2', 'keep') });
    j.append({ type: 'baseline.updated', target: 'sum', id: 'sum-r1-c2', vsReference: 2, speedup: 2 });
    j.append({ type: 'round.end', target: 'sum', round: 1, kept: 'sum-r1-c2' });
    at(1000);
    j.append({ type: 'round.start', target: 'sum', round: 2, baseline: 'sum-r1-c2' });
    j.append({ type: 'candidate.result', result: result('sum-r2-c1', 'keep', 2) });
    at(500);
    // killed here: no baseline.updated for sum-r2-c1, no round.end
    j.append({ type: 'run.resume', runId: 'r' });
    at(10_000);
    j.append({ type: 'candidate.result', result: result('sum-r1-c1', 'discard') }); // a duplicate is counted once
    const s = replay('r', Journal.read(f));
    expect(s.results.map((r) => r.id)).toEqual(['sum-r1-c1', 'sum-r1-c2', 'sum-r2-c1']);
    expect(s.progress.get('sum')).toEqual({ rounds: 2, lastKeepRound: 1, roundsSinceKeep: 0 });
    expect(s.pendingKeeps.map((r) => r.id)).toEqual(['sum-r2-c1']);
    // the time between the last event and the kill is unknowable: counted up to the last event
    expect(s.priorElapsedMs).toBe(2000 + 10_000);
    expect(s.options?.candidates).toBe(2);
    expect(s.finals.size).toBe(0);
  });

  it('keeps the final measurement against the reference (target.final) until a new baseline makes it stale', () => {
    const f = join(tmp(), 'journal.jsonl');
    const j = new Journal(f, () => new Date('2026-01-01T00:00:00Z'));
    const final = { target: 'sum', id: 'sum-r1-c2', verdict: 'proved', speedup: 1.9, ciLow: 1.8, ciHigh: 2.0, pairs: 3, referenceNs: 2e6, bestNs: 1.05e6 };
    j.append({ type: 'run.start', runId: 'r', targets: ['sum', 'sgemm'], fingerprint: 'fp', options: { targets: ['sum'], workflowFile: 'W', rounds: 0, noImprovementRounds: 4, candidates: 2 } });
    j.append({ type: 'candidate.retimed', target: 'sum', round: 1, id: 'sum-r1-c2', selection: { speedup: 2.2, ciLow: 1.9, ciHigh: 2.5, pairs: 3 }, fresh: { speedup: 2, ciLow: 1.5, ciHigh: 2.5, pairs: 3 }, adopted: true });
    j.append({ type: 'candidate.result', result: { ...result('sum-r1-c2', 'keep'), selection: { speedup: 2.2, ciLow: 1.9, ciHigh: 2.5, pairs: 3 } } });
    j.append({ type: 'baseline.updated', target: 'sum', id: 'sum-r1-c2', vsReference: 2, speedup: 2, verdict: 'proved' });
    j.append({ type: 'target.final', ...final });
    j.append({ type: 'target.final', target: 'sgemm', id: 'sgemm-r1-c1', verdict: 'tested', speedup: 3, ciLow: 2.9, ciHigh: 3.1, pairs: 3 });
    j.append({ type: 'baseline.updated', target: 'sgemm', id: 'sgemm-r2-c1', vsReference: 4, speedup: 1.3, verdict: 'tested' });
    const s = replay('r', Journal.read(f));
    expect(s.finals.get('sum')).toEqual(final);
    expect(s.finals.has('sgemm')).toBe(false);
    expect(s.results[0].selection?.speedup).toBe(2.2);
    expect(s.pendingKeeps).toEqual([]);
  });

  it('results.tsv has a header row and one tab-separated row per candidate', () => {
    const f = join(tmp(), 'results.tsv');
    writeResults(f, [result('a', 'keep'), { ...result('b', 'invalid'), speedup: undefined, reason: 'wrong C[0][1]\tgot 1' }]);
    const rows = parseResults(readFileSync(f, 'utf8'));
    expect(Object.keys(rows[0])).toEqual(expect.arrayContaining(['id', 'target', 'status', 'speedup', 'ci_low', 'ci_high', 'vs_reference_chained', 'verdict', 'description']));
    expect(rows.map((r) => [r.id, r.status, r.speedup])).toEqual([['a', 'keep', '2.000'], ['b', 'invalid', '']]);
    expect(rows[1].description).toContain('wrong C[0][1] got 1');
    writeFileSync(f, '');
  });
});
