/* PolyBench's gemver: A += u1 v1^T + u2 v2^T; x += beta A^T y + z; w += alpha A x. */
void gemver(int N, real alpha, real beta, real *A, const real *u1, const real *v1, const real *u2, const real *v2,
            real *w, real *x, const real *y, const real *z) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) A[i * N + j] = A[i * N + j] + u1[i] * v1[j] + u2[i] * v2[j];
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) x[i] = x[i] + beta * A[j * N + i] * y[j];
  for (int i = 0; i < N; i++) x[i] = x[i] + z[i];
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) w[i] = w[i] + alpha * A[i * N + j] * x[j];
}
