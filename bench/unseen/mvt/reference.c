/* x1 += A y1 and x2 += Aᵀ y2 for an N×N matrix A. */
void mvt(int N, const real *A, const real *y1, const real *y2, real *x1, real *x2) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) x1[i] = x1[i] + A[i * N + j] * y1[j];
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) x2[i] = x2[i] + A[j * N + i] * y2[j];
}
