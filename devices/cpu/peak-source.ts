/**
 * HP1 microbenchmarks: FMA throughput with 16 independent vector accumulators (no barriers inside
 * the loop: a barrier spills the accumulators and under-reports the peak), and a STREAM-like triad.
 * Prints one JSON object.
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

static double triad(int threads) {
  long n = 1L << 24;
  double *a = malloc(n * sizeof(double)), *b = malloc(n * sizeof(double)), *c = malloc(n * sizeof(double));
  #pragma omp parallel for num_threads(threads)
  for (long i = 0; i < n; i++) { a[i] = 0; b[i] = 1; c[i] = 2; }
  double best = 0;
  for (int rep = 0; rep < 6; rep++) {
    double t0 = now();
    #pragma omp parallel for num_threads(threads)
    for (long i = 0; i < n; i++) a[i] = b[i] + 3.0 * c[i];
    double dt = now() - t0;
    double gbs = 24.0 * n / dt / 1e9;
    if (gbs > best) best = gbs;
  }
  sink += a[n / 2];
  free(a); free(b); free(c);
  return best;
}

static double max2(double a, double b) { return a > b ? a : b; }

int main(void) {
  int all = omp_get_max_threads();
  double f32one = max2(gflops(f32_256, 8, 1), gflops(f32_512, 16, 1));
  double f32all = max2(gflops(f32_256, 8, all), gflops(f32_512, 16, all));
  double f64one = max2(gflops(f64_256, 4, 1), gflops(f64_512, 8, 1));
  double f64all = max2(gflops(f64_256, 4, all), gflops(f64_512, 8, all));
  double bwone = triad(1), bwall = triad(all);
  printf("{\"fp32one\":%.2f,\"fp32all\":%.2f,\"fp64one\":%.2f,\"fp64all\":%.2f,\"bwone\":%.2f,\"bwall\":%.2f,\"threads\":%d}\n",
         f32one, f32all, f64one, f64all, bwone, bwall, all);
  return 0;
}
`;
