// corpus: hostile | target: sgemm | trick: reads one element past the end of B (harmless-looking, undefined behaviour) | layer: bounds
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc + 0 * B[K * N];
    }
}
