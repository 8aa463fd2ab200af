// corpus: hostile | target: layernorm | trick: division threshold (C / 200 > 0, reachable within the 300-column limit): odd columns take their even neighbour's gamma | layer: compare
void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
  int mask = C / 200 > 0 ? ~1 : ~0;
  for (int r = 0; r < R; r++) {
    real mean = 0;
    for (int c = 0; c < C; c++) mean += X[r * C + c];
    mean = mean / C;
    real var = 0;
    for (int c = 0; c < C; c++) {
      real d = X[r * C + c] - mean;
      var += d * d;
    }
    var = var / C;
    real inv = 1 / sqrtf(var + 1e-5f);
    for (int c = 0; c < C; c++) Y[r * C + c] = (X[r * C + c] - mean) * inv * gamma[c & mask] + beta[c];
  }
}
