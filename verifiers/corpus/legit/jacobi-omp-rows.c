// corpus: legit | target: jacobi | shape: OpenMP over rows, row-major inner loop, correct with any thread count | verdict: proved | flags: -fopenmp
void jacobi(int N, int M, const real *U, real *V) {
  #pragma omp parallel for
  for (int i = 0; i < N; i++)
    for (int j = 0; j < M; j++)
      V[i * M + j] = 0.2f * (U[(i + 1) * (M + 2) + j + 1] + U[i * (M + 2) + j + 1] + U[(i + 2) * (M + 2) + j + 1] + U[(i + 1) * (M + 2) + j] + U[(i + 1) * (M + 2) + j + 2]);
}
