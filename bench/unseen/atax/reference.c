/* y = Aᵀ(A x) for an M×N matrix A. */
void atax(int M, int N, const real *A, const real *x, real *y) {
  for (int j = 0; j < N; j++) y[j] = 0;
  for (int i = 0; i < M; i++) {
    real tmp = 0;
    for (int j = 0; j < N; j++) tmp += A[i * N + j] * x[j];
    for (int j = 0; j < N; j++) y[j] += A[i * N + j] * tmp;
  }
}
