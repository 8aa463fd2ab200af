/* C = A·Aᵀ for an N×K matrix A (row-major), C overwritten. */
void syrk(int N, int K, const real *A, real *C) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      real s = 0;
      for (int k = 0; k < K; k++) s += A[i * K + k] * A[j * K + k];
      C[i * N + j] = s;
    }
}
