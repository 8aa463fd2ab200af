// corpus: legit | target: conv2d | shape: loops reordered so the output row is the contiguous inner loop | verdict: tested | flags: -fopenmp
void conv2d(int H, int W, int R, int S, const real *X, const real *F, real *Y) {
  #pragma omp parallel for
  for (int i = 0; i < H; i++) {
    for (int j = 0; j < W; j++) Y[i * W + j] = 0;
    for (int p = 0; p < R; p++)
      for (int q = 0; q < S; q++) {
        real f = F[p * S + q];
        for (int j = 0; j < W; j++) Y[i * W + j] += X[(i + p) * (W + S - 1) + (j + q)] * f;
      }
  }
}
