import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const STALLED = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'stalled.js'));

const node = (body: string) => spawnSync(process.execPath, ['--input-type=module', '-e', `import { failIfStalled } from ${JSON.stringify(STALLED)};\n${body}`], { encoding: 'utf8' });

describe('a CLI wait that nothing can end', () => {
  it('is one line and exit 70, not a silent exit 0', () => {
    const r = node("await failIfStalled('run X', new Promise(() => {}));");
    expect(r.status).toBe(70);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^kloop: run X stopped waiting on work that can never finish/);
  });

  it('work that ends (or fails) is left alone', () => {
    expect(node("console.log(await failIfStalled('run X', new Promise((r) => setTimeout(() => r('done'), 50))));")).toMatchObject({ status: 0, stdout: 'done\n' });
    expect(node("await failIfStalled('run X', Promise.reject(new Error('boom')));").stderr).toMatch(/boom/);
  });
});
