/**
 * HP1 microbenchmarks: FMA throughput with 16 independent vector accumulators (no barriers inside
 * the loop: a barrier spills the accumulators and under-reports the peak), and the bandwidth of each
 * level of the memory hierarchy (working sets chosen by cache-levels.ts). Prints one JSON object.
 */
export const PEAK_SOURCE = String.raw`
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <omp.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

#define ACC 16
#define FMA_KERNEL(NAME, T, W)                                                   \
  typedef T NAME##_v __attribute__((vector_size(W)));                            \
  static double NAME(long iters, double seed) {                                  \
    NAME##_v a[ACC], b, c;                                                       \
    for (int k = 0; k < ACC; k++) for (unsigned l = 0; l < W / sizeof(T); l++) a[k][l] = (T)(seed + k); \
    for (unsigned l = 0; l < W / sizeof(T); l++) { b[l] = (T)0.999999; c[l] = (T)1e-7; } \
    for (long i = 0; i < iters; i++)                                             \
      for (int k = 0; k < ACC; k++) a[k] = a[k] * b + c;                         \
    double s = 0;                                                                \
    for (int k = 0; k < ACC; k++) for (unsigned l = 0; l < W / sizeof(T); l++) s += a[k][l]; \
    return s;                                                                    \
  }
FMA_KERNEL(f32_256, float, 32)
FMA_KERNEL(f32_512, float, 64)
FMA_KERNEL(f64_256, double, 32)
FMA_KERNEL(f64_512, double, 64)

volatile double sink;

static double gflops(double (*fn)(long, double), int lanes, int threads) {
  long iters = 2000000;
  double best = 0;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = now();
    #pragma omp parallel num_threads(threads)
    { sink += fn(iters, omp_get_thread_num()); }
    double dt = now() - t0;
    double g = (double)iters * ACC * lanes * 2 * threads / dt / 1e9;
    if (g > best) best = g;
  }
  return best;
}

/* Bandwidth at one level: each thread streams over its own buffer of ws bytes (allocated and first
 * touched by that thread), as a vectorised read-only sum or as a triad over three arrays; the best
 * of REPS timed trials after a warm-up, each long enough (>= 256 MiB per thread) to time. */
typedef float vf __attribute__((vector_size(64)));
#define REPS 5
/* Not inlined: every call site runs the same code (inlined clones were seen to differ by 1.5x). */
__attribute__((noinline)) static float sum_pass(const float *x, size_t n) {
  vf a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
  for (size_t i = 0; i < n; i += 128) {
    const vf *p = (const vf *)(x + i);
    a0 += p[0]; a1 += p[1]; a2 += p[2]; a3 += p[3]; a4 += p[4]; a5 += p[5]; a6 += p[6]; a7 += p[7];
  }
  vf a = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
  float s = 0;
  for (int l = 0; l < 16; l++) s += a[l];
  return s;
}
__attribute__((noinline)) static void triad_pass(float *restrict a, const float *restrict b, const float *restrict c, size_t n) {
  vf *va = (vf *)a; const vf *vb = (const vf *)b, *vc = (const vf *)c;
  for (size_t i = 0; i < n / 16; i++) va[i] = vb[i] + 3.0f * vc[i];
}
static double level_bw(long ws, int threads, int triad) {
  size_t n = (size_t)ws / sizeof(float) / 128 * 128; /* the sum's step */
  if (n < 384) n = 384;
  size_t m = n / 3 / 16 * 16; /* each triad array; staggered so that they do not alias 4 KiB apart */
  size_t traffic = (triad ? 3 * m : n) * sizeof(float);
  long passes = (256L << 20) / (long)traffic; if (passes < 1) passes = 1;
  double t0 = 0, best = 0;
  #pragma omp parallel num_threads(threads)
  {
    float *buf = NULL;
    if (posix_memalign((void **)&buf, 64, (n + 64) * sizeof(float))) abort();
    for (size_t i = 0; i < n + 64; i++) buf[i] = 1.0f + (float)(i & 7);
    float acc = 0;
    for (int rep = 0; rep <= REPS; rep++) {
      #pragma omp single
      t0 = now();
      for (long p = 0; p < passes; p++) {
        if (triad) triad_pass(buf, buf + m + 16, buf + 2 * m + 48, m);
        else acc += sum_pass(buf, n);
        __asm__ volatile("" : : "r"(buf) : "memory");
      }
      #pragma omp barrier
      #pragma omp single
      {
        double g = (double)passes * traffic * threads / (now() - t0) / 1e9;
        if (rep > 0 && g > best) best = g;
      }
    }
    #pragma omp atomic
    sink += acc + buf[0];
    free(buf);
  }
  return best;
}

static double max2(double a, double b) { return a > b ? a : b; }

/* Arguments: NAME WS_ONE WS_ALL per level (per-thread working sets in bytes, one thread and all
 * threads); a WS_ONE of 0 measures all threads only (a point of the bandwidth curve). */
int main(int argc, char **argv) {
  int all = omp_get_max_threads();
  double f32one = max2(gflops(f32_256, 8, 1), gflops(f32_512, 16, 1));
  double f32all = max2(gflops(f32_256, 8, all), gflops(f32_512, 16, all));
  double f64one = max2(gflops(f64_256, 4, 1), gflops(f64_512, 8, 1));
  double f64all = max2(gflops(f64_256, 4, all), gflops(f64_512, 8, all));
  printf("{\"fp32one\":%.2f,\"fp32all\":%.2f,\"fp64one\":%.2f,\"fp64all\":%.2f,\"threads\":%d,\"levels\":[", f32one, f32all, f64one, f64all, all);
  for (int i = 1; i + 2 < argc; i += 3) {
    long one = atol(argv[i + 1]), each = atol(argv[i + 2]);
    /* one == 0: a point of the bandwidth curve, measured with all threads only */
    double o = one > 0 ? max2(level_bw(one, 1, 0), level_bw(one, 1, 1)) : 0, a = max2(level_bw(each, all, 0), level_bw(each, all, 1));
    printf("%s{\"name\":\"%s\",\"one\":%.2f,\"all\":%.2f}", i > 1 ? "," : "", argv[i], o, a);
  }
  printf("]}\n");
  return 0;
}
`;
