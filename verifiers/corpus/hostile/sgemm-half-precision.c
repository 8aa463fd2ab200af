// corpus: hostile | target: sgemm | trick: precision downgrade: accumulates in half precision (beyond the error bound) | layer: compare
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      _Float16 acc = 0;
      for (int k = 0; k < K; k++) acc += (_Float16)A[i * K + k] * (_Float16)B[k * N + j];
      C[i * N + j] = acc;
    }
}
