import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GitRecorder } from '../loop/git-recorder.js';

const dir = mkdtempSync(join(tmpdir(), 'kloop-gitrec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the git recorder', () => {
  it('commits made at once (two rounds keeping together) all land on the branch, each on the one before', async () => {
    const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'root');
    const rec = (await GitRecorder.open(dir))!;
    const shas = await Promise.all(Array.from({ length: 6 }, (_, i) => rec.commit('kloop/run', { [`kloop/baselines/t${i}/kernel.c`]: `// ${i}\n` }, `candidate c${i}`)));
    expect(new Set(shas).size).toBe(6);
    expect(git('rev-list', '--count', 'kloop/run')).toBe('7');
    const files = git('ls-tree', '-r', '--name-only', 'kloop/run').split('\n');
    for (let i = 0; i < 6; i++) expect(files).toContain(`kloop/baselines/t${i}/kernel.c`);
  });
});
