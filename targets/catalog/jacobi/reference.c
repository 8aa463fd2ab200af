/* 5-point stencil: each interior point becomes the weighted average of itself and its four neighbours. */
void jacobi(int N, int M, const real *U, real *V) {
  for (int j = 0; j < M; j++) {
    for (int i = 0; i < N; i++) {
      V[i * M + j] = 0.2f * (U[(i + 1) * (M + 2) + (j + 1)] + U[i * (M + 2) + (j + 1)] + U[(i + 2) * (M + 2) + (j + 1)] +
                             U[(i + 1) * (M + 2) + j] + U[(i + 1) * (M + 2) + (j + 2)]);
    }
  }
}
