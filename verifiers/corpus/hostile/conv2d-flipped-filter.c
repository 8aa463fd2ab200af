// corpus: hostile | target: conv2d | trick: flips the filter (true convolution instead of the target's cross-correlation) | layer: compare
void conv2d(int H, int W, int R, int S, const real *X, const real *F, real *Y) {
  for (int i = 0; i < H; i++)
    for (int j = 0; j < W; j++) {
      real acc = 0;
      for (int p = 0; p < R; p++)
        for (int q = 0; q < S; q++) acc += X[(i + p) * (W + S - 1) + (j + q)] * F[(R - 1 - p) * S + (S - 1 - q)];
      Y[i * W + j] = acc;
    }
}
