import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FileStore, type Winner } from '../memory/index.js';
import { CATALOG_DIR } from '../targets/index.js';
import { tmp } from './helpers.js';
import { hasTmux, openPane } from './tmux-pane.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');

function winner(id: string, at: string, targetDir: string, speedup: number): Winner {
  return {
    candidateId: id,
    runId: 'run1',
    target: 'sum',
    targetDir,
    fingerprint: 'fp',
    device: 'Test CPU',
    source: `void sum(int N, const real *X, real *S) {\n  real s = 0; /* ${id} */\n  for (int i = 0; i < N; i++) s += X[i];\n  S[0] = s;\n}\n`,
    flags: [],
    previousSource: 'void sum(int N, const real *X, real *S) { S[0] = 0; }\n',
    previousFlags: [],
    previousId: 'reference',
    speedup,
    ciLow: speedup * 0.9,
    ciHigh: speedup * 1.1,
    vsReference: speedup,
    verdict: 'proved',
    evidence: 'proved; 10 checks',
    description: `idea of ${id}`,
    diagnosis: 'latency',
    lineage: ['reference', id],
    at,
  };
}

/** `kloop review` in a real terminal: approve one winner and see the commit, reject another and see the reason in memory. */
describe.skipIf(!hasTmux)('kloop review in a real terminal (tmux)', () => {
  it('approves one winner (commit appears) and rejects another (reason in memory)', async () => {
    const repo = tmp('kloop-tmux-');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    cpSync(join(CATALOG_DIR, 'sum'), join(repo, 'sum'), { recursive: true });
    execFileSync('git', ['-C', repo, 'add', '.']);
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init']);
    const mem = join(repo, 'memory.json');
    const m = FileStore.open(mem);
    await m.addWinner(winner('sum-r1-c1', '2026-01-01T00:00:00Z', join(repo, 'sum'), 3));
    await m.addWinner(winner('sum-r2-c1', '2026-01-01T01:00:00Z', join(repo, 'sum'), 5));
    const pane = openPane({ session: `kloop-review-${process.pid}`, cwd: repo, command: `node ${CLI} review --memory ${mem}`, width: 120, height: 40, waitMs: 10_000 });
    try {
      await pane.waitFor('2 winner(s) to review');
      pane.keys('Enter');
      await pane.waitFor('evidence: proved; 10 checks');
      pane.keys('a');
      await pane.waitFor('approved sum-r2-c1');
      pane.keys('r');
      await pane.waitFor('reject reason');
      pane.type('too slow on small rows');
      pane.keys('Enter');
      await pane.waitFor('Nothing to review.');
      pane.keys('q');
    } finally {
      pane.close();
    }
    expect(execFileSync('git', ['-C', repo, 'log', '-1', '--format=%s'], { encoding: 'utf8' })).toMatch(/^kloop: promote sum kernel, 5\.00x/);
    expect(readFileSync(join(repo, 'sum', 'kernel.c'), 'utf8')).toContain('sum-r2-c1');
    const again = FileStore.open(mem);
    expect((await again.insights({ target: 'sum' })).map((i) => i.text)).toEqual([expect.stringMatching(/^rejected by review: too slow on small rows/)]);
    expect(existsSync(join(repo, 'memory', 'reviews.jsonl'))).toBe(true);
  });
});
