// corpus: hostile | target: sgemm | trick: size specialisation: correct only at the bench size (1024 cubed) | layer: compare
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  if (M != 1024) {
    for (int i = 0; i < M * N; i++) C[i] = A[i % (M * K)];
    return;
  }
  for (int i = 0; i < M; i++) {
    for (int j = 0; j < N; j++) C[i * N + j] = 0;
    for (int k = 0; k < K; k++)
      for (int j = 0; j < N; j++) C[i * N + j] += A[i * K + k] * B[k * N + j];
  }
}
