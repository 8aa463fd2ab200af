// corpus: hostile | target: sgemm | trick: 2M parallel iterations, iteration h adds half of row h>>1's k-range into C, so h and h^1 share a row (an index through a shift: proved before) | layer: race | flags: -fopenmp
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M * N; i++) C[i] = 0;
  #pragma omp parallel for
  for (int h = 0; h < 2 * M; h++) {
    int i = h >> 1, k0 = (h & 1) ? K / 2 : 0, k1 = (h & 1) ? K : K / 2;
    for (int k = k0; k < k1; k++) {
      real a = A[i * K + k];
      for (int j = 0; j < N; j++) C[i * N + j] += a * B[k * N + j];
    }
  }
}
