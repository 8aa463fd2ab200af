// corpus: hostile | target: sgemm | trick: reads the OpenMP wall clock to behave differently when timed | layer: static | flags: -fopenmp
#include <omp.h>
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  double t = omp_get_wtime();
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc + 0 * (real)t;
    }
}
