// corpus: hostile | target: conv2d | trick: joint condition (H >= 60 && W >= 60 && R * S >= 25, reachable within the limits): the filter's last column is dropped | layer: compare
void conv2d(int H, int W, int R, int S, const real *X, const real *F, real *Y) {
  int qend = (H >= 60 && W >= 60 && R * S >= 25) ? S - 1 : S;
  for (int i = 0; i < H; i++)
    for (int j = 0; j < W; j++) {
      real acc = 0;
      for (int p = 0; p < R; p++)
        for (int q = 0; q < qend; q++) acc += X[(i + p) * (W + S - 1) + (j + q)] * F[p * S + q];
      Y[i * W + j] = acc;
    }
}
