import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyEvent, claimRun, elapsedMs, emptyState, Journal, parseResults, pendingKeeps, replay, resumeState, RunFinished, writeResults, type CandidateResult } from '../loop/index.js';
import { UserError } from '../common/index.js';
import { tmp } from './helpers.js';

const result = (id: string, status: CandidateResult['status'], round = 1): CandidateResult => ({
  id,
  target: 'sum',
  round,
  status,
  speedup: 2,
  ciLow: 1.5,
  ciHigh: 2.5,
  vsReference: 2,
  verdict: 'tested',
  description: 'omp parallel for on i',
  flags: ['-fopenmp'],
  kinds: ['parallel'],
});

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
    expect(s.progress.get('sum')).toEqual({ rounds: 2, lastKeepRound: 1, roundsSinceKeep: 0, emptyRounds: 0 });
    expect(pendingKeeps(s, false).map((r) => r.id)).toEqual(['sum-r2-c1']);
    expect(pendingKeeps(s, true).map((r) => r.id)).toEqual(['sum-r1-c2', 'sum-r2-c1']);
    // The next session's run.resume closes the last one: the time between the last event and the
    // kill is unknowable, so each session counts up to its last event.
    applyEvent(s, { type: 'run.resume', runId: 'r', ts: new Date(at(60_000)).toISOString() });
    expect(s.priorElapsedMs).toBe(2000 + 10_000);
    expect(elapsedMs(s, t + 500)).toBe(12_500);
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
    expect(pendingKeeps(s, false)).toEqual([]);
  });

  it('one reducer: the state a live run builds event by event is the state its journal folds to, empty rounds and stops included', () => {
    const f = join(tmp(), 'journal.jsonl');
    let t = Date.parse('2026-01-01T00:00:00Z');
    const j = new Journal(f, () => new Date((t += 250)));
    const live = emptyState('r');
    const events = [
      { type: 'run.start', runId: 'r', targets: ['sum', 'jacobi'], fingerprint: 'fp', options: { targets: ['sum', 'jacobi'], workflowFile: 'W', rounds: 5, minutes: 2, noImprovementRounds: 4, candidates: 2 }, pid: 1 },
      { type: 'round.start', target: 'sum', round: 1, baseline: 'reference' },
      { type: 'round.end', target: 'sum', round: 1, proposed: 0 },
      { type: 'round.start', target: 'jacobi', round: 1, baseline: 'reference' },
      { type: 'candidate.result', result: result('jacobi-r1-c1', 'keep') },
      { type: 'baseline.updated', target: 'jacobi', id: 'jacobi-r1-c1', vsReference: 2, speedup: 2 },
      { type: 'round.end', target: 'jacobi', round: 1, kept: 'jacobi-r1-c1', proposed: 2 },
      { type: 'round.start', target: 'sum', round: 2, baseline: 'reference' },
      { type: 'round.end', target: 'sum', round: 2, proposed: 0 },
      { type: 'target.stopped', target: 'sum', reason: 'the writer has no new ideas' },
      { type: 'round.start', target: 'jacobi', round: 2, baseline: 'jacobi-r1-c1' },
      // cut short by the clock: not an empty round
      { type: 'round.end', target: 'jacobi', round: 2 },
      { type: 'run.end', reason: 'time budget of 2 min spent' },
    ] as const;
    for (const e of events) applyEvent(live, j.append(e as never));
    const folded = replay('r', Journal.read(f));
    expect(folded).toEqual(live);
    expect(folded.progress.get('sum')).toEqual({ rounds: 2, lastKeepRound: 0, roundsSinceKeep: 2, emptyRounds: 2 });
    expect(folded.progress.get('jacobi')).toEqual({ rounds: 2, lastKeepRound: 1, roundsSinceKeep: 1, emptyRounds: 0 });
    expect(folded.stopped.get('sum')).toBe('the writer has no new ideas');
    expect(folded.ended).toBe('time budget of 2 min spent');
    expect(folded.targets).toEqual(['sum', 'jacobi']);
  });

  it('--resume: a finished run says so, a run whose process is alive is refused, otherwise the launched options come back', () => {
    const runs = tmp();
    const journalOf = (id: string) => {
      mkdirSync(join(runs, id), { recursive: true });
      return new Journal(join(runs, id, 'journal.jsonl'), () => new Date());
    };
    const start = { type: 'run.start', runId: 'x', targets: ['sgemm', 'sum'], fingerprint: 'fp', options: { targets: ['/t/sgemm', '/t/sum'], workflowFile: 'W', rounds: 0, minutes: 2, noImprovementRounds: 4, candidates: 2 } } as const;
    const a = journalOf('killed');
    a.append(start);
    a.append({ type: 'round.start', target: 'sgemm', round: 1, baseline: 'reference' });
    expect(resumeState(runs, 'killed', new Date()).options).toMatchObject({ targets: ['/t/sgemm', '/t/sum'], minutes: 2 });
    const b = journalOf('done');
    b.append(start);
    b.append({ type: 'run.end', reason: 'all targets stopped' });
    expect(() => resumeState(runs, 'done', new Date())).toThrow(RunFinished);
    expect(() => resumeState(runs, 'done', new Date())).toThrow(/already finished \(all targets stopped\): nothing to resume/);
    const c = journalOf('alive');
    c.append(start);
    writeFileSync(join(runs, 'alive', 'owner.json'), JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
    expect(() => resumeState(runs, 'alive', new Date())).toThrow(UserError);
    expect(() => resumeState(runs, 'alive', new Date())).toThrow(/still going \(owned by live pid/);
    // The owner's pid now names a process that started at another time (pids are reused): the owner is gone.
    writeFileSync(join(runs, 'alive', 'owner.json'), JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), start: '1' }));
    expect(resumeState(runs, 'alive', new Date()).options).toMatchObject({ minutes: 2 });
    // A run's own record names its process by pid and start time: live.
    claimRun(join(runs, 'alive'), new Date());
    expect(JSON.parse(readFileSync(join(runs, 'alive', 'owner.json'), 'utf8')).start).toMatch(/^\d+$/);
    expect(() => resumeState(runs, 'alive', new Date())).toThrow(/still going \(owned by live pid/);
    expect(() => resumeState(runs, 'nope', new Date())).toThrow(/no journal/);
  });

  it('results.tsv has a header row and one tab-separated row per candidate', () => {
    const f = join(tmp(), 'results.tsv');
    writeResults(f, [result('a', 'keep'), { ...result('b', 'invalid'), speedup: undefined, reason: 'wrong C[0][1]\tgot 1' }]);
    const rows = parseResults(readFileSync(f, 'utf8'));
    expect(Object.keys(rows[0])).toEqual(expect.arrayContaining(['id', 'target', 'status', 'speedup', 'ci_low', 'ci_high', 'vs_reference_chained', 'verdict', 'description']));
    expect(rows.map((r) => [r.id, r.status, r.speedup])).toEqual([
      ['a', 'keep', '2.000'],
      ['b', 'invalid', ''],
    ]);
    expect(rows[1].description).toContain('wrong C[0][1] got 1');
    writeFileSync(f, '');
  });
});
