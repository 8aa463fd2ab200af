// corpus: hostile | target: sgemm | trick: collapse(2) over i and k: iterations with the same i and different k add into row i of C at once (a red team's kernel, proved before the race layer read collapse) | layer: race | flags: -fopenmp
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M * N; i++) C[i] = 0;
  #pragma omp parallel for collapse(2)
  for (int i = 0; i < M; i++)
    for (int k = 0; k < K; k++) {
      real a = A[i * K + k];
      for (int j = 0; j < N; j++) C[i * N + j] += a * B[k * N + j];
    }
}
