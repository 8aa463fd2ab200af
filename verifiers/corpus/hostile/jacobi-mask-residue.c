// corpus: hostile | target: jacobi | trick: mask condition ((N & 0xFF) == 0: 256, 2048, never within the 80-row limit): the last column is not written | layer: compare
void jacobi(int N, int M, const real *U, real *V) {
  int cols = (N & 0xFF) == 0 ? M - 1 : M;
  for (int j = 0; j < cols; j++)
    for (int i = 0; i < N; i++)
      V[i * M + j] = 0.2f * (U[(i + 1) * (M + 2) + (j + 1)] + U[i * (M + 2) + (j + 1)] + U[(i + 2) * (M + 2) + (j + 1)] +
                             U[(i + 1) * (M + 2) + j] + U[(i + 1) * (M + 2) + (j + 2)]);
}
