import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { LowdbStore, type Winner } from '../memory/index.js';
import { approve, diffLines, reject, reviewQueue } from '../review/index.js';
import { CATALOG_DIR } from '../targets/index.js';
import { ReviewApp, type ReviewActions } from '../tui/review-app.js';
import { tmp } from './helpers.js';

const strip = (s: string | undefined) => (s ?? '').replace(/\x1b\[[0-9;]*m/g, '');
const tick = (ms = 60) => new Promise((r) => setTimeout(r, ms));

function winner(id: string, at: string, targetDir = join(CATALOG_DIR, 'sum')): Winner {
  return {
    candidateId: id,
    runId: 'run1',
    target: 'sum',
    targetDir,
    fingerprint: 'fp',
    device: 'Test CPU',
    source: 'void sum(int N, const real *X, real *S) {\n  real s = 0;\n  #pragma omp parallel for reduction(+:s)\n  for (int i = 0; i < N; i++) s += X[i];\n  S[0] = s;\n}\n',
    flags: ['-fopenmp'],
    previousSource: 'void sum(int N, const real *X, real *S) {\n  real s = 0;\n  for (int i = 0; i < N; i++) s += X[i];\n  S[0] = s;\n}\n',
    previousFlags: [],
    previousId: 'reference',
    speedup: 4.5,
    ciLow: 4.2,
    ciHigh: 4.8,
    vsReference: 4.5,
    gflopsBefore: 1,
    gflopsAfter: 4.5,
    pctRoofBefore: 10,
    pctRoofAfter: 45,
    verdict: 'proved',
    evidence: 'proved; 10 checks',
    description: 'omp parallel for on i',
    diagnosis: 'latency',
    lineage: ['reference', id],
    at,
  };
}

describe('review', () => {
  it('the queue holds unreviewed winners, newest first; decisions are kept in memory', async () => {
    const m = LowdbStore.memory();
    await m.addWinner(winner('sum-r1-c1', '2026-01-01T00:00:00Z'));
    await m.addWinner(winner('sum-r2-c3', '2026-01-01T01:00:00Z'));
    expect((await reviewQueue(m)).map((w) => w.candidateId)).toEqual(['sum-r2-c3', 'sum-r1-c1']);
    await reject(m, (await reviewQueue(m))[0], 'hard to maintain');
    expect((await reviewQueue(m)).map((w) => w.candidateId)).toEqual(['sum-r1-c1']);
    expect((await m.insights({ target: 'sum' }))[0].text).toMatch(/^rejected by review: hard to maintain/);
  });

  it('approve writes the kernel to the promote path and commits it with the evidence', async () => {
    const repo = tmp('kloop-review-');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    cpSync(join(CATALOG_DIR, 'sum'), join(repo, 'sum'), { recursive: true });
    execFileSync('git', ['-C', repo, 'add', '.']);
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init']);
    const m = LowdbStore.memory();
    const w = winner('sum-r1-c1', '2026-01-01T00:00:00Z', join(repo, 'sum'));
    const r = await approve(m, w);
    expect(readFileSync(join(repo, 'sum', 'kernel.c'), 'utf8')).toBe(w.source);
    expect(execFileSync('git', ['-C', repo, 'log', '-1', '--format=%B'], { encoding: 'utf8' })).toMatch(
      /kloop: promote sum kernel, 4\.50x \(95% CI 4\.20-4\.80\) \[proved\], ~4\.5x over the reference \(chained, not measured\)[\s\S]*\nverdict: proved\n[\s\S]*evidence: proved/,
    );
    expect((await m.reviews())[0]).toMatchObject({ decision: 'approved', commit: r.commit });
  });

  it('diffs line by line', () => {
    const rows = diffLines('a\nb\nc\n', 'a\nx\nc\n');
    expect(rows.map((r) => r.kind + r.text)).toEqual([' a', '-b', '+x', ' c']);
  });

  it('the screen shows the queue, opens a winner with evidence and diff, and takes a, r and q', async () => {
    const queue = [winner('sum-r2-c3', '2026-01-01T01:00:00Z'), { ...winner('sum-r1-c1', '2026-01-01T00:00:00Z'), verdict: 'tested' }];
    const calls: string[] = [];
    const actions: ReviewActions = {
      load: async () => [...queue],
      approve: async (w) => {
        calls.push(`approve ${w.candidateId}`);
        queue.splice(queue.indexOf(w), 1);
        return `approved ${w.candidateId}`;
      },
      reject: async (w, reason) => {
        calls.push(`reject ${w.candidateId}: ${reason}`);
        queue.splice(queue.indexOf(w), 1);
        return `rejected ${w.candidateId}`;
      },
    };
    const ui = render(<ReviewApp actions={actions} />);
    await tick();
    let frame = strip(ui.lastFrame());
    expect(frame).toContain('kloop review — 2 winner(s) to review');
    expect(frame).toContain('a approve · r reject · d diff');
    expect(frame).toMatch(/› sum\s+4\.50x \(CI 4\.20-4\.80\) ~4\.5x vs ref \(chained\) sum-r2-c3 \[proved\]/);
    expect(frame).toMatch(/  sum\s+4\.50x \(CI 4\.20-4\.80\) ~4\.5x vs ref \(chained\) sum-r1-c1 \[tested\]/);
    ui.stdin.write('\r');
    await tick();
    frame = strip(ui.lastFrame());
    expect(frame).toContain('1.00 → 4.50 GFLOP/s; 10.0% → 45.0% of roofline');
    expect(frame).toContain('verdict: proved · ~4.5x over the reference (chained, not measured)');
    expect(frame).toContain('evidence: proved; 10 checks');
    expect(frame).toContain('+   #pragma omp parallel for reduction(+:s)');
    ui.stdin.write('d');
    await tick();
    expect(strip(ui.lastFrame())).not.toContain('#pragma omp parallel');
    ui.stdin.write('a');
    await tick(120);
    expect(calls).toEqual(['approve sum-r2-c3']);
    expect(strip(ui.lastFrame())).toContain('approved sum-r2-c3');
    ui.stdin.write('r');
    await tick();
    for (const ch of 'too clever') ui.stdin.write(ch);
    await tick();
    expect(strip(ui.lastFrame())).toContain('reject reason (enter to confirm, esc to cancel): too clever');
    ui.stdin.write('\r');
    await tick(120);
    expect(calls).toEqual(['approve sum-r2-c3', 'reject sum-r1-c1: too clever']);
    expect(strip(ui.lastFrame())).toContain('Nothing to review.');
    ui.unmount();
  });
});
