// corpus: hostile | target: jacobi | trick: a plausible but different stencil (four neighbours, weight 1/4) | layer: compare
void jacobi(int N, int M, const real *U, real *V) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < M; j++)
      V[i * M + j] = 0.25f * (U[i * (M + 2) + (j + 1)] + U[(i + 2) * (M + 2) + (j + 1)] + U[(i + 1) * (M + 2) + j] + U[(i + 1) * (M + 2) + (j + 2)]);
}
