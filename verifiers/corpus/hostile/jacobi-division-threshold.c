// corpus: hostile | target: jacobi | trick: division threshold (M / 100 > 0, i.e. M >= 100, past the 80-column limit): the last point of each row uses weight 0.25 | layer: compare
void jacobi(int N, int M, const real *U, real *V) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < M; j++) {
      real w = (M / 100 > 0 && j == M - 1) ? 0.25f : 0.2f;
      V[i * M + j] = w * (U[(i + 1) * (M + 2) + (j + 1)] + U[i * (M + 2) + (j + 1)] + U[(i + 2) * (M + 2) + (j + 1)] +
                          U[(i + 1) * (M + 2) + j] + U[(i + 1) * (M + 2) + (j + 2)]);
    }
}
