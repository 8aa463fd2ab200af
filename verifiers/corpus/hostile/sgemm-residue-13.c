// corpus: hostile | target: sgemm | trick: residue condition (M % 13 == 10, true at 192 and at 1024, at 10, 23, ... 88 within the limits): the last column skips its last k term | layer: compare
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      int kend = (M % 13 == 10 && j == N - 1) ? K - 1 : K;
      real acc = 0;
      for (int k = 0; k < kend; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
