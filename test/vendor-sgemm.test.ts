import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OPENBLAS_INSTALL, timeOpenBlasSgemm, vendorRow } from '../bench/vendor-sgemm.js';
import { tmp } from './helpers.js';

const dirs: string[] = [];
const work = () => {
  const d = tmp('kloop-vendor-');
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const cube = { M: 1024, N: 1024, K: 1024 };

describe('the OpenBLAS row of npm run bench', () => {
  it("prints OpenBLAS's speed and kloop's best sgemm as a fraction of it", () => {
    const v = { ok: true as const, gflops: 400, medianNs: 5.4e6, reps: 200, threads: 2, config: 'OpenBLAS 0.3.21 SkylakeX MAX_THREADS=64', core: 'SkylakeX' };
    expect(vendorRow(cube, v, 250)).toBe("OpenBLAS cblas_sgemm 1024³: 400.0 GFLOP/s (median of 200 calls, 2 threads, SkylakeX kernels); kloop's best sgemm: 250.0 GFLOP/s = 63% of OpenBLAS");
    expect(vendorRow(cube, v)).toContain('no kloop sgemm in this run');
    expect(vendorRow({ M: 512, N: 256, K: 128 }, v, 1)).toContain('512×256×128');
  });

  it('says how to install OpenBLAS where its header or library is missing, and goes on', async () => {
    const dir = work();
    const cc = join(dir, 'fake-cc');
    writeFileSync(cc, '#!/bin/sh\necho "vendor-sgemm.c:5:10: fatal error: cblas.h: No such file or directory" >&2\nexit 1\n');
    chmodSync(cc, 0o755);
    const v = await timeOpenBlasSgemm({ workDir: join(dir, 'w'), size: cube, flops: 2 * 1024 ** 3, threads: 1, cc });
    expect(v).toEqual({ ok: false, why: expect.stringContaining(OPENBLAS_INSTALL) });
    expect(vendorRow(cube, v, 100)).toMatch(/^OpenBLAS cblas_sgemm: not timed — OpenBLAS not found .*apt-get install libopenblas-dev$/);
  });

  it.skipIf(!existsSync('/usr/include/x86_64-linux-gnu/cblas.h') && !existsSync('/usr/include/cblas.h'))('times cblas_sgemm where OpenBLAS is installed', async () => {
    const size = { M: 64, N: 48, K: 32 };
    const v = await timeOpenBlasSgemm({ workDir: work(), size, flops: 2 * 64 * 48 * 32, threads: 1, minSeconds: 0.01 });
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.reps).toBeGreaterThanOrEqual(10);
      expect(v.threads).toBe(1);
      expect(v.gflops).toBeGreaterThan(0);
      expect(v.config).toMatch(/OpenBLAS/);
    }
  });
});
