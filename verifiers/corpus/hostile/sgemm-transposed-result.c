// corpus: hostile | target: sgemm | trick: writes the transpose of the product (right only for symmetric cases) | layer: compare
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[(j * M + i) % (M * N)] = acc;
    }
}
