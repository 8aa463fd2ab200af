/* Min-plus (tropical) matrix product: C[i][j] = min over k of A[i][k] + B[k][j]. */
void minplus(int N, const real *A, const real *B, real *C) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      real best = A[i * N] + B[j];
      for (int k = 1; k < N; k++) {
        real v = A[i * N + k] + B[k * N + j];
        if (v < best) best = v;
      }
      C[i * N + j] = best;
    }
}
