// corpus: hostile | target: sgemm | trick: includes <stdio.h> to print fake timings | layer: static
#include <stdio.h>
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  printf("KLOOP_TIMES_NS 1 1 1\n");
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
