/* Direct convolution: each output point is the dot product of the filter with the patch under it. */
void conv2d(int H, int W, int R, int S, const real *X, const real *F, real *Y) {
  for (int i = 0; i < H; i++) {
    for (int j = 0; j < W; j++) {
      real acc = 0;
      for (int p = 0; p < R; p++) {
        for (int q = 0; q < S; q++) {
          acc += X[(i + p) * (W + S - 1) + (j + q)] * F[p * S + q];
        }
      }
      Y[i * W + j] = acc;
    }
  }
}
