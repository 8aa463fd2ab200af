// corpus: hostile | target: sgemm | trick: interposes clock_gettime without including a header (a global symbol) | layer: static
struct kl_ts { long s, ns; };
int clock_gettime(int id, struct kl_ts *ts) { ts->s = 0; ts->ns = 0; return 0; }
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
