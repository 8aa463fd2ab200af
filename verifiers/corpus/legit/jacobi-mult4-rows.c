// corpus: legit | target: jacobi | shape: row-major sweep four points at a time when M % 4 == 0 (same expression, same order per point), column sweep otherwise | verdict: proved | flags: -fopenmp
#define PT(i, j) (0.2f * (U[((i) + 1) * (M + 2) + ((j) + 1)] + U[(i) * (M + 2) + ((j) + 1)] + U[((i) + 2) * (M + 2) + ((j) + 1)] + \
                          U[((i) + 1) * (M + 2) + (j)] + U[((i) + 1) * (M + 2) + ((j) + 2)]))
void jacobi(int N, int M, const real *U, real *V) {
  if (M % 4 == 0) {
    #pragma omp parallel for
    for (int i = 0; i < N; i++)
      for (int j = 0; j < M; j += 4) {
        V[i * M + j] = PT(i, j);
        V[i * M + j + 1] = PT(i, j + 1);
        V[i * M + j + 2] = PT(i, j + 2);
        V[i * M + j + 3] = PT(i, j + 3);
      }
    return;
  }
  for (int j = 0; j < M; j++)
    for (int i = 0; i < N; i++) V[i * M + j] = PT(i, j);
}
