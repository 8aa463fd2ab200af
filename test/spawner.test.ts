import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pidAlive } from '../common/index.js';
import { spawnContained } from '../sandboxes/index.js';
import { tmp } from './helpers.js';

const SANDBOXES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'sandboxes', 'index.js');
const BWRAP = ['/usr/bin/bwrap', '/bin/bwrap'].find((p) => existsSync(p));

/** Live (non-zombie) processes whose command line is exactly `argv`. */
function running(argv: string[]): number[] {
  const want = argv.join('\0') + '\0';
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8') === want && !/^State:\s+Z/m.test(readFileSync(`/proc/${d}/status`, 'utf8'))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

describe('the spawner (every sandboxed process starts from a small helper)', () => {
  it('runs processes concurrently, each with its own result, output and exit status', async () => {
    const dir = tmp();
    const rs = await Promise.all([0, 1, 2, 3].map((i) => spawnContained({ argv: ['/bin/sh', '-c', `echo out${i}; echo err${i} >&2; exit ${i}`], cwd: dir, env: {}, timeoutMs: 5000 })));
    expect(rs.map((r) => [r.stdout.trim(), r.stderr.trim(), r.exitCode])).toEqual([0, 1, 2, 3].map((i) => [`out${i}`, `err${i}`, i]));
  });

  it('passes a file as fd 3, and reports a file it cannot open as a failed run', async () => {
    const dir = tmp();
    const r = await spawnContained({ argv: ['/bin/sh', '-c', 'cat <&3'], cwd: dir, env: {}, timeoutMs: 5000, extraFile: join(dirname(fileURLToPath(import.meta.url)), 'spawner.test.ts') });
    expect(r.stdout).toContain('the spawner');
    const bad = await spawnContained({ argv: ['/bin/true'], cwd: dir, env: {}, timeoutMs: 5000, extraFile: join(dir, 'missing') });
    expect(bad.exitCode).toBe(null);
    expect(bad.stderr).toMatch(/cannot open/);
  });

  // Many processes that do not hold the output pipes (so those do not keep the verdict waiting), in
  // the candidate's process group, or in a pid namespace of its own as bubblewrap makes one.
  it.each([
    ['its process group', []],
    ['its own pid namespace (bubblewrap)', ['--unshare-pid', '--die-with-parent', '--new-session', ...(process.getuid?.() === 0 ? [] : ['--unshare-user']), '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--']],
  ])('a candidate that times out in %s: when its verdict comes, none of its processes runs', async (_, wrap) => {
    if (wrap.length && !BWRAP) return;
    const sleep = ['sleep', `600.${process.pid}${Date.now() % 1000}`];
    const script = `for i in $(seq 150); do ${sleep.join(' ')} </dev/null >/dev/null 2>&1 & done; wait`;
    const argv = wrap.length ? [BWRAP!, ...wrap, '/bin/sh', '-c', script] : ['/bin/sh', '-c', script];
    const r = await spawnContained({ argv, cwd: tmp(), env: { PATH: '/usr/bin:/bin' }, timeoutMs: 1500 });
    const left = running(sleep);
    expect(r.timedOut, r.stderr).toBe(true);
    expect(left).toEqual([]);
  });

  it('kloop killed with SIGKILL: the helper kills every process it started, then exits', async () => {
    expect(existsSync(SANDBOXES), 'run after `tsc` (npm test builds first)').toBe(true);
    const dir = tmp();
    // A kloop-like process starts a long candidate (which records its pid), then is killed with SIGKILL.
    const script = `import { spawnContained } from ${JSON.stringify(SANDBOXES)};
      spawnContained({ argv: ['/bin/sh', '-c', 'echo $$ > ${join(dir, 'pid')}; sleep 60'], cwd: ${JSON.stringify(dir)}, env: {}, timeoutMs: 60000 });
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(join(dir, 'pid')); i++) await new Promise((r) => setTimeout(r, 50));
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    expect(pidAlive(pid)).toBe(true);
    parent.kill('SIGKILL');
    for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(pidAlive(pid)).toBe(false);
  });
});
