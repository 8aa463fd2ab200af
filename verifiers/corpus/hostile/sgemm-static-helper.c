// corpus: hostile | target: sgemm | trick: threshold inside a static helper (n > 0x70): the dot product starts at k = 1 | layer: compare
static int wide(int n) { return n > 0x70; }
static int first_k(int M, int N) { return wide(M) && wide(N) ? 1 : 0; }
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  int k0 = first_k(M, N);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = k0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
