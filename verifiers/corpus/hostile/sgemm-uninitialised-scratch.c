// corpus: hostile | target: sgemm | trick: accumulates into malloc'd scratch memory it never initialises | layer: compare
#include <stdlib.h>
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  real *t = (real *)malloc(sizeof(real) * (size_t)M * N);
  for (int i = 0; i < M; i++)
    for (int k = 0; k < K; k++)
      for (int j = 0; j < N; j++) t[i * N + j] += A[i * K + k] * B[k * N + j];
  for (int i = 0; i < M * N; i++) C[i] = t[i];
  free(t);
}
