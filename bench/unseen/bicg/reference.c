/* PolyBench's bicg: s = A^T r and q = A p in one sweep over A (N x M). */
void bicg(int N, int M, const real *A, const real *r, const real *p, real *s, real *q) {
  for (int j = 0; j < M; j++) s[j] = 0;
  for (int i = 0; i < N; i++) {
    q[i] = 0;
    for (int j = 0; j < M; j++) {
      s[j] = s[j] + r[i] * A[i * M + j];
      q[i] = q[i] + A[i * M + j] * p[j];
    }
  }
}
