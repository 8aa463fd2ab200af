import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFile } from '../review/commit-file.js';
import { tmp } from './helpers.js';

describe('committing an approved file', () => {
  it('commits a change, and says "nothing to commit" when the same content is approved again', async () => {
    const dir = tmp('kloop-commit-file-');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' });
    git('init', '-q');
    const file = join(dir, 'plan.json');
    writeFileSync(file, '{"v":1}\n');
    const first = await commitFile(file, 'first');
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
    // the same plan approved again (re-kept unchanged): recorded by the caller, nothing to commit here
    const again = await commitFile(file, 'again');
    expect(again.commit).toBeUndefined();
    expect(again.note).toMatch(/unchanged from what is committed: nothing to commit/);
    expect(git('log', '--oneline').trim().split('\n')).toHaveLength(1);
    writeFileSync(file, '{"v":2}\n');
    expect((await commitFile(file, 'second')).commit).toMatch(/^[0-9a-f]{40}$/);
  });
});
