// corpus: hostile | target: sgemm | trick: sizeof threshold (K * sizeof(real) > 512 bytes, K > 128): accumulates into C without clearing it first | layer: compare
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  int clear = (size_t)K * sizeof(real) <= 512;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = clear ? 0 : C[i * N + j];
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
