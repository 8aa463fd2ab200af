import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessSandbox } from '../sandboxes/index.js';
import { tmp } from './helpers.js';

const sb = new ProcessSandbox();

describe('process sandbox', () => {
  it('kills the whole process group on timeout, children included', async () => {
    const dir = tmp();
    const t0 = Date.now();
    const r = await sb.run({ cmd: '/bin/sh', args: ['-c', `(sleep 30; touch ${join(dir, 'late')}) & sleep 30`], cwd: dir, limits: { timeoutMs: 300 } });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    await new Promise((res) => setTimeout(res, 200));
    expect(existsSync(join(dir, 'late'))).toBe(false);
  });

  it('caps captured output', async () => {
    const r = await sb.run({ cmd: '/bin/sh', args: ['-c', 'yes | head -c 1000000'], cwd: tmp(), limits: { timeoutMs: 5000, outputBytes: 1000 } });
    expect(r.stdout.length).toBe(1000);
    expect(r.truncated).toBe(true);
  });

  it('passes only allow-listed environment variables, HOME is the work folder', async () => {
    process.env.KLOOP_SECRET_TEST = 'leak';
    const dir = tmp();
    const r = await sb.run({ cmd: '/bin/sh', args: ['-c', 'echo "[$KLOOP_SECRET_TEST][$HOME][$OMP_NUM_THREADS]"'], cwd: dir, env: { OMP_NUM_THREADS: '2' }, limits: { timeoutMs: 5000 } });
    expect(r.stdout.trim()).toBe(`[][${dir}][2]`);
  });

  it('applies rlimits: a file larger than the limit cannot be written', async () => {
    const r = await sb.run({ cmd: '/bin/sh', args: ['-c', 'head -c 3000000 /dev/zero > big'], cwd: tmp(), limits: { timeoutMs: 5000, fileSizeMb: 1 } });
    expect(r.exitCode === 0 && !r.signal).toBe(false);
  });

  it('reports a missing command as a failed run, not an exception', async () => {
    const r = await sb.run({ cmd: '/nonexistent/kernel.bin', args: [], cwd: tmp(), limits: { timeoutMs: 5000 } });
    expect(r.exitCode).not.toBe(0);
  });
});
