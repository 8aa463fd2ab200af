// corpus: hostile | target: sgemm | trick: defines memcpy, replacing the harness's own copies | layer: static
typedef unsigned long kl_size;
void *memcpy(void *d, const void *s, kl_size n) { return d; }
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
