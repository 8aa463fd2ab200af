// corpus: hostile | target: conv2d | trick: threshold computed at run time (32 shifted left once in a loop = 64) on the output width: the last output column repeats its neighbour | layer: size-paths
void conv2d(int H, int W, int R, int S, const real *X, const real *F, real *Y) {
  int lim = 32;
  for (int k = 0; k < 1; k++) lim <<= 1;
  for (int i = 0; i < H; i++)
    for (int j = 0; j < W; j++) {
      int jj = (W >= lim && j == W - 1) ? j - 1 : j;
      real acc = 0;
      for (int p = 0; p < R; p++)
        for (int q = 0; q < S; q++) acc += X[(i + p) * (W + S - 1) + (jj + q)] * F[p * S + q];
      Y[i * W + j] = acc;
    }
}
