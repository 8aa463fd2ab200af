// corpus: hostile | target: sgemm | trick: unrolled by 4 with the remainder loop dropped (right when K is a multiple of 4) | layer: compare
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k + 3 < K; k += 4)
        acc += A[i * K + k] * B[k * N + j] + A[i * K + k + 1] * B[(k + 1) * N + j] + A[i * K + k + 2] * B[(k + 2) * N + j] + A[i * K + k + 3] * B[(k + 3) * N + j];
      C[i * N + j] = acc;
    }
}
