// corpus: hostile | target: sgemm | trick: reads the cycle counter with inline assembly to detect timing | layer: static
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  unsigned lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc + 0 * (real)(lo ^ hi);
    }
}
