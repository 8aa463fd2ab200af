// corpus: hostile | target: sgemm | trick: switches flush-to-zero and denormals-are-zero on with the _MM_SET_*_MODE macros and leaves them on for the caller | layer: static
#include <xmmintrin.h>
#include <pmmintrin.h>
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < N; j++) C[i * N + j] = 0;
    for (int k = 0; k < K; k++) {
      real a = A[i * K + k];
      for (int j = 0; j < N; j++) C[i * N + j] += a * B[k * N + j];
    }
  }
}
