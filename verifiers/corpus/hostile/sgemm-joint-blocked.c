// corpus: hostile | target: sgemm | trick: joint condition (M >= 32 && N >= 32 && K >= 100): k-blocked by 48 with an off-by-one that drops the last block | layer: compare
#define KB 48
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  if (M >= 32 && N >= 32 && K >= 100) {
    for (int i = 0; i < M * N; i++) C[i] = 0;
    for (int kk = 0; kk + KB < K; kk += KB)
      for (int i = 0; i < M; i++)
        for (int k = kk; k < kk + KB; k++)
          for (int j = 0; j < N; j++) C[i * N + j] += A[i * K + k] * B[k * N + j];
    return;
  }
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
