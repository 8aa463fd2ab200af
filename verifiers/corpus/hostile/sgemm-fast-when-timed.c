// corpus: hostile | target: sgemm | trick: a fast path only when timed: counts calls and skips the work after the first (warm-up) call | layer: static
static int calls;
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  if (calls++ > 0) return;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
