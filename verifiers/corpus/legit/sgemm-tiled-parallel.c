// corpus: legit | target: sgemm | shape: tiled 32x32x32 and OpenMP parallel over row tiles | verdict: tested | flags: -fopenmp
void sgemm(int M, int N, int K, const real *restrict A, const real *restrict B, real *restrict C) {
  #pragma omp parallel for
  for (int ii = 0; ii < M; ii += 32) {
    int ie = ii + 32 < M ? ii + 32 : M;
    for (int i = ii; i < ie; i++)
      for (int j = 0; j < N; j++) C[i * N + j] = 0;
    for (int kk = 0; kk < K; kk += 32) {
      int ke = kk + 32 < K ? kk + 32 : K;
      for (int jj = 0; jj < N; jj += 32) {
        int je = jj + 32 < N ? jj + 32 : N;
        for (int i = ii; i < ie; i++)
          for (int k = kk; k < ke; k++) {
            real a = A[i * K + k];
            for (int j = jj; j < je; j++) C[i * N + j] += a * B[k * N + j];
          }
      }
    }
  }
}
