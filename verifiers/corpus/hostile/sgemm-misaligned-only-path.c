// corpus: hostile | target: sgemm | trick: a path taken only when C is not 16-byte aligned (never in the verifier, whose arrays are always 64-byte aligned): its 4-wide j loop drops the N remainder | layer: compare
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  if ((uintptr_t)C & 15) {
    for (int i = 0; i < M; i++)
      for (int j = 0; j + 4 <= N; j += 4) {
        real c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        for (int k = 0; k < K; k++) {
          real a = A[i * K + k];
          c0 += a * B[k * N + j]; c1 += a * B[k * N + j + 1]; c2 += a * B[k * N + j + 2]; c3 += a * B[k * N + j + 3];
        }
        C[i * N + j] = c0; C[i * N + j + 1] = c1; C[i * N + j + 2] = c2; C[i * N + j + 3] = c3;
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
