// corpus: legit | target: sgemm | shape: 2x2 register blocking (unroll-and-jam) with remainders | verdict: proved | flags: -fopenmp
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  #pragma omp parallel for
  for (int i = 0; i < M - 1; i += 2) {
    int j = 0;
    for (; j < N - 1; j += 2) {
      real c00 = 0, c01 = 0, c10 = 0, c11 = 0;
      for (int k = 0; k < K; k++) {
        real a0 = A[i * K + k], a1 = A[(i + 1) * K + k], b0 = B[k * N + j], b1 = B[k * N + j + 1];
        c00 += a0 * b0; c01 += a0 * b1; c10 += a1 * b0; c11 += a1 * b1;
      }
      C[i * N + j] = c00; C[i * N + j + 1] = c01; C[(i + 1) * N + j] = c10; C[(i + 1) * N + j + 1] = c11;
    }
    for (; j < N; j++) {
      real c0 = 0, c1 = 0;
      for (int k = 0; k < K; k++) { c0 += A[i * K + k] * B[k * N + j]; c1 += A[(i + 1) * K + k] * B[k * N + j]; }
      C[i * N + j] = c0; C[(i + 1) * N + j] = c1;
    }
  }
  if (M % 2)
    for (int j = 0; j < N; j++) {
      real c = 0;
      for (int k = 0; k < K; k++) c += A[(M - 1) * K + k] * B[k * N + j];
      C[(M - 1) * N + j] = c;
    }
}
