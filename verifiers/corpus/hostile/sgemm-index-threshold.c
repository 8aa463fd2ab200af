// corpus: hostile | target: sgemm | trick: condition on a derived value (output index i*N+j >= 16384, past 96x96): those elements drop the last k term | layer: compare
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      int idx = i * N + j;
      int kend = idx >= 16384 ? K - 1 : K;
      real acc = 0;
      for (int k = 0; k < kend; k++) acc += A[i * K + k] * B[k * N + j];
      C[idx] = acc;
    }
}
