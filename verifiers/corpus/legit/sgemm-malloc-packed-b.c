// corpus: legit | target: sgemm | shape: packs B transposed into a malloc'd scratch buffer, fully written each call and freed, then row-times-row dot products | verdict: tested
#include <stdlib.h>
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  real *bt = (real *)malloc(sizeof(real) * (size_t)K * N + sizeof(real));
  for (int k = 0; k < K; k++)
    for (int j = 0; j < N; j++) bt[(size_t)j * K + k] = B[(size_t)k * N + j];
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[(size_t)i * K + k] * bt[(size_t)j * K + k];
      C[(size_t)i * N + j] = acc;
    }
  free(bt);
}
