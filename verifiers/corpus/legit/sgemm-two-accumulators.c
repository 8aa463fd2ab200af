// corpus: legit | target: sgemm | shape: reassociated: two partial sums over even and odd k | verdict: proved
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real s0 = 0, s1 = 0;
      int k = 0;
      for (; k + 1 < K; k += 2) {
        s0 += A[i * K + k] * B[k * N + j];
        s1 += A[i * K + k + 1] * B[(k + 1) * N + j];
      }
      if (k < K) s0 += A[i * K + k] * B[k * N + j];
      C[i * N + j] = s0 + s1;
    }
}
