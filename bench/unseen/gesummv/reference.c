/* PolyBench's gesummv: y = alpha A x + beta B x. */
void gesummv(int N, real alpha, real beta, const real *A, const real *B, const real *x, real *y) {
  for (int i = 0; i < N; i++) {
    real t = 0;
    y[i] = 0;
    for (int j = 0; j < N; j++) {
      t = A[i * N + j] * x[j] + t;
      y[i] = B[i * N + j] * x[j] + y[i];
    }
    y[i] = alpha * t + beta * y[i];
  }
}
