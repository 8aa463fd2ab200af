// corpus: hostile | target: sgemm | trick: interposes clock_gettime so the harness measures nothing | layer: static
#include <time.h>
int clock_gettime(clockid_t id, struct timespec *ts) { ts->tv_sec = 0; ts->tv_nsec = 0; return 0; }
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
