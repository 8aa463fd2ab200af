// corpus: legit | target: sgemm | shape: blocked 32x32x32 path (with remainders) when every dimension is at least 64, naive below | verdict: tested | flags: -fopenmp
#define TB 32
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  if (M >= 64 && N >= 64 && K >= 64) {
    #pragma omp parallel for
    for (int ii = 0; ii < M; ii += TB) {
      int ie = ii + TB < M ? ii + TB : M;
      for (int i = ii; i < ie; i++)
        for (int j = 0; j < N; j++) C[i * N + j] = 0;
      for (int kk = 0; kk < K; kk += TB) {
        int ke = kk + TB < K ? kk + TB : K;
        for (int jj = 0; jj < N; jj += TB) {
          int je = jj + TB < N ? jj + TB : N;
          for (int i = ii; i < ie; i++)
            for (int k = kk; k < ke; k++) {
              real a = A[i * K + k];
              for (int j = jj; j < je; j++) C[i * N + j] += a * B[k * N + j];
            }
        }
      }
    }
    return;
  }
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
