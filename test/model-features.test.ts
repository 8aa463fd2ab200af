import { describe, expect, it } from 'vitest';
import type { DeviceProfile } from '../devices/index.js';
import { FEATURE_COUNT, FEATURE_NAMES, featurize, named, type FeatureContext } from '../model/index.js';
import { resolveTarget } from '../targets/index.js';

const profile: DeviceProfile = {
  fingerprint: { id: 'cpu-test', kind: 'cpu', model: 'test', cores: 8, flagsHash: 'f', compiler: 'cc' },
  measuredAt: 'now',
  gflops: { fp32: { one: 50, all: 400 }, fp64: { one: 25, all: 200 } },
  bandwidthGBs: { one: 15, all: 40 },
} as DeviceProfile;

const sgemm = resolveTarget('sgemm');
const ctx: FeatureContext = { target: sgemm, profile, cores: 8, l1Bytes: 32 * 1024, l2Bytes: 1024 * 1024 };

const naive = sgemm.referenceSource;
const ikj = `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < N; j++) C[i * N + j] = 0;
    for (int k = 0; k < K; k++) {
      real a = A[i * K + k];
      for (int j = 0; j < N; j++) C[i * N + j] += a * B[k * N + j];
    }
  }
}`;
const tiled = `void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) C[i * N + j] = 0;
  #pragma omp parallel for
  for (int ii_t = 0; ii_t < M; ii_t += 64)
    for (int kk_t = 0; kk_t < K; kk_t += 64)
      for (int jj_t = 0; jj_t < N; jj_t += 64)
        for (int i = ii_t; i < (ii_t + 64 < M ? ii_t + 64 : M); i++)
          for (int k = kk_t; k < (kk_t + 64 < K ? kk_t + 64 : K); k++) {
            real a = A[i * K + k];
            #pragma omp simd
            for (int j = jj_t; j < (jj_t + 64 < N ? jj_t + 64 : N); j++) C[i * N + j] += a * B[k * N + j];
          }
}`;

describe('CM1 features', () => {
  it('are a fixed-length vector of finite numbers, named', () => {
    for (const src of [naive, ikj, tiled, 'not C at all {']) {
      const x = featurize(src, ['-fopenmp'], ctx);
      expect(x).toHaveLength(FEATURE_COUNT);
      expect(FEATURE_NAMES).toHaveLength(FEATURE_COUNT);
      expect(x.every(Number.isFinite)).toBe(true);
    }
  });

  it('see the naive matmul’s strided inner loop, the i-k-j order’s contiguous one, and the tiled one’s tiles, parallel loop and simd', () => {
    const a = named(featurize(naive, [], ctx));
    const b = named(featurize(ikj, [], ctx));
    const c = named(featurize(tiled, ['-fopenmp', '-ffast-math'], ctx));
    expect(a.parsed).toBe(1);
    expect(a.strided).toBeGreaterThan(0.4); // B[k * N + j] in the k loop
    expect(b.strided).toBe(0);
    expect(b.contiguous).toBeGreaterThan(a.contiguous);
    expect(b.reuse_miss_l2).toBeGreaterThan(0); // all of B between two uses of a row: does not fit in L2
    expect(c.reuse_miss_l2).toBe(0); // a 64x64 tile of B does
    expect([a.tiled, b.tiled, c.tiled]).toEqual([0, 0, 1]);
    expect(c.log2_tile).toBe(6);
    expect(c.log2_tile_fp_l1).toBe(0); // 64x64 floats of B and of C in the innermost loop: 32 KB, L1's size
    expect(c.log2_tile_fp_l2).toBeLessThan(0);
    expect(c.parallel_work).toBeGreaterThan(0.99);
    expect(c.parallel_outer).toBeGreaterThan(0.99);
    expect(c.simd_work).toBeGreaterThan(0.99);
    expect(a.parallel_work).toBe(0);
    expect(c['flag-fopenmp']).toBe(1);
    expect(c['flag-ffast-math']).toBe(1);
    expect(a['flag-fopenmp']).toBe(0);
    expect(c.max_depth).toBe(6);
    // the static cost model ranks them as the A/B timing would
    expect(a.log_static_cost).toBeGreaterThan(b.log_static_cost);
    expect(b.log_static_cost).toBeGreaterThan(c.log_static_cost);
    // the same context for all drafts of a target on a device
    expect(a.log_flops).toBeCloseTo(Math.log(2 * 1024 ** 3), 6);
    expect(c.log_cores).toBeCloseTo(Math.log(8), 6);
  });

  it('give a draft outside the parsable subset its flags, text and context, with parsed 0', () => {
    const src = naive.replace('real acc = 0;', 'typedef float v8 __attribute__((vector_size(32)));\n      real acc = 0;\n      #pragma omp parallel for');
    const x = named(featurize(src, ['-fopenmp'], ctx));
    expect(x.parsed).toBe(0);
    expect(x.vector_ext).toBe(1);
    expect(x.text_parallel).toBe(1);
    expect(x['flag-fopenmp']).toBe(1);
    expect(x.log_static_cost).toBe(0);
    expect(x.log_flops).toBeGreaterThan(20);
  });
});
