// corpus: legit | target: sgemm | shape: k unrolled by 4 with a remainder loop | verdict: tested
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      int k = 0;
      for (; k + 3 < K; k += 4)
        acc += A[i * K + k] * B[k * N + j] + A[i * K + k + 1] * B[(k + 1) * N + j] + A[i * K + k + 2] * B[(k + 2) * N + j] + A[i * K + k + 3] * B[(k + 3) * N + j];
      for (; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
