// corpus: legit | target: sgemm | shape: four output columns at a time when N is a multiple of 4, the naive loop otherwise | verdict: proved
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  if (N % 4 == 0) {
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j += 4) {
        real c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        for (int k = 0; k < K; k++) {
          real a = A[i * K + k];
          c0 += a * B[k * N + j];
          c1 += a * B[k * N + j + 1];
          c2 += a * B[k * N + j + 2];
          c3 += a * B[k * N + j + 3];
        }
        C[i * N + j] = c0;
        C[i * N + j + 1] = c1;
        C[i * N + j + 2] = c2;
        C[i * N + j + 3] = c3;
      }
    return;
  }
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
