// corpus: hostile | target: sgemm | trick: caches the result across calls, keyed by the input pointer | layer: static
static const real *last_a;
static real cache[1 << 16];
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  if (A == last_a && M * N <= (1 << 16)) {
    for (int i = 0; i < M * N; i++) C[i] = cache[i];
    return;
  }
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
      if (M * N <= (1 << 16)) cache[i * N + j] = acc;
    }
  last_a = A;
}
