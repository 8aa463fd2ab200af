/**
 * The vendor row of `npm run bench`: OpenBLAS `cblas_sgemm` (row-major, C = A·B) at the sgemm
 * target's bench size, with as many threads as kloop's kernels get, timed in the benchmark's own
 * process run: a few warm-up calls, then the median of timed calls over at least a second. OpenBLAS
 * picks its kernels by CPU model and may not know a new one (0.3.21 runs AVX2 kernels on Zen 5):
 * where the CPU has AVX-512, its AVX-512 kernels are timed too and the faster counts.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type VendorTiming = { ok: true; gflops: number; medianNs: number; reps: number; threads: number; config: string; /** OpenBLAS's kernel set (Haswell, SkylakeX …). */ core: string } | { ok: false; why: string };

export const OPENBLAS_INSTALL = 'apt-get install libopenblas-dev';

const SOURCE = String.raw`#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

/* Arguments: M N K THREADS MIN_SECONDS. Prints one JSON line. */
int main(int argc, char **argv) {
  if (argc != 6) return 2;
  int M = atoi(argv[1]), N = atoi(argv[2]), K = atoi(argv[3]), threads = atoi(argv[4]);
  double minSeconds = atof(argv[5]);
  openblas_set_num_threads(threads);
  float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N), *C = malloc(sizeof(float) * M * N);
  if (!A || !B || !C) return 3;
  srand(1);
  for (long i = 0; i < (long)M * K; i++) A[i] = (float)rand() / RAND_MAX - 0.5f;
  for (long i = 0; i < (long)K * N; i++) B[i] = (float)rand() / RAND_MAX - 0.5f;
  for (int w = 0; w < 3; w++) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
  enum { MAX = 100000 };
  static double t[MAX];
  int n = 0;
  double start = now();
  while (n < MAX && (n < 10 || now() - start < minSeconds)) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
    t[n++] = now() - t0;
  }
  qsort(t, n, sizeof(double), cmp);
  printf("{\"medianNs\":%.0f,\"reps\":%d,\"threads\":%d,\"config\":\"%s\",\"check\":%g}\n", t[n / 2] * 1e9, n, openblas_get_num_threads(), openblas_get_config(), (double)C[(long)M * N / 2]);
  return 0;
}
`;

/** Build and time OpenBLAS sgemm at M×N×K with `threads` threads; `flops` is the target's count at that size. */
export async function timeOpenBlasSgemm(o: { workDir: string; size: { M: number; N: number; K: number }; flops: number; threads: number; cc?: string; minSeconds?: number }): Promise<VendorTiming> {
  mkdirSync(o.workDir, { recursive: true });
  writeFileSync(join(o.workDir, 'vendor-sgemm.c'), SOURCE);
  const bin = join(o.workDir, 'vendor-sgemm');
  try {
    await run(o.cc ?? 'cc', ['-O2', 'vendor-sgemm.c', '-o', bin, '-lopenblas'], { cwd: o.workDir });
  } catch (e) {
    const log = String((e as { stderr?: string }).stderr ?? (e as Error).message);
    const missing = /cblas\.h|-lopenblas|openblas/.test(log);
    return { ok: false, why: missing ? `OpenBLAS not found (cblas.h or libopenblas); to add the vendor row: ${OPENBLAS_INSTALL}` : `the OpenBLAS timing program did not build: ${log.split('\n')[0]}` };
  }
  const once = async (coretype?: string): Promise<VendorTiming> => {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(o.threads), OMP_NUM_THREADS: String(o.threads), ...(coretype ? { OPENBLAS_CORETYPE: coretype } : {}) };
    try {
      const { M, N, K } = o.size;
      const { stdout } = await run(bin, [M, N, K, o.threads, o.minSeconds ?? 1].map(String), { cwd: o.workDir, env, timeout: 300_000 });
      const j = JSON.parse(stdout.trim()) as { medianNs: number; reps: number; threads: number; config: string };
      const config = j.config.trim();
      return { ok: true, gflops: o.flops / j.medianNs, medianNs: j.medianNs, reps: j.reps, threads: j.threads, config, core: /(\S+) MAX_THREADS/.exec(config)?.[1] ?? coretype ?? '?' };
    } catch (e) {
      return { ok: false, why: `the OpenBLAS timing program failed: ${(e as Error).message.split('\n')[0]}` };
    }
  };
  const chosen = await once();
  if (!chosen.ok || !hasAvx512() || /SkylakeX|Cooperlake|SapphireRapids/.test(chosen.config)) return chosen;
  const avx512 = await once('SkylakeX');
  return avx512.ok && avx512.gflops > chosen.gflops ? avx512 : chosen;
}

function hasAvx512(): boolean {
  try {
    return /^flags\s*:.*\bavx512f\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/** "1024³" for a cube, "M×N×K" otherwise. */
export function cubeLabel(s: { M: number; N: number; K: number }): string {
  return s.M === s.N && s.N === s.K ? `${s.M}³` : `${s.M}×${s.N}×${s.K}`;
}

/** The vendor row: OpenBLAS's speed, and kloop's best sgemm as a fraction of it (when the run had one). */
export function vendorRow(size: { M: number; N: number; K: number }, v: VendorTiming, kloopGflops?: number): string {
  if (!v.ok) return `OpenBLAS cblas_sgemm: not timed — ${v.why}`;
  const head = `OpenBLAS cblas_sgemm ${cubeLabel(size)}: ${v.gflops.toFixed(1)} GFLOP/s (median of ${v.reps} calls, ${v.threads} threads, ${v.core} kernels)`;
  if (kloopGflops === undefined || !Number.isFinite(kloopGflops)) return `${head}; no kloop sgemm in this run`;
  return `${head}; kloop's best sgemm: ${kloopGflops.toFixed(1)} GFLOP/s = ${((100 * kloopGflops) / v.gflops).toFixed(0)}% of OpenBLAS`;
}
