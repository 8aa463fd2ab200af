import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bench', 'crash-safety.js');

describe('crash safety (the reduced run of npm run crash-safety)', () => {
  it('a real kloop run killed with SIGKILL at 5 points (inside a journal line, a memory line, the memory state, a git commit, and at random) and resumed loses nothing and counts nothing twice', () => {
    let out = '';
    try {
      // Two candidates a round instead of the default four: the kills and the checks are the same, the runs shorter.
      out = execFileSync('node', [SCRIPT, '--points', '5', '--seed', '7', '--candidates', '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    } catch (e) {
      const x = e as { stdout: string; stderr: string };
      throw new Error(`crash-safety failed:\n${x.stdout}\n${x.stderr}`);
    }
    expect(out).toMatch(/every check held/);
    const kills = Number(/(\d+) kills/.exec(out)![1]);
    expect(kills, out).toBeGreaterThanOrEqual(5);
    expect(out).toMatch(/runs? resumed to their end and checked whole/);
    // Its work folder (a git repository, its runs and memory) is kept only when a check fails.
    rmSync(/\(work folder (.+)\)/.exec(out)![1], { recursive: true, force: true });
  }, 600_000);
});
