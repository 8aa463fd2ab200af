// corpus: hostile | target: layernorm | trick: float threshold (R * 1.0 > 40.5, past the 40-row limit): the shift beta is added before the scale gamma is applied | layer: compare
void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
  int fused = R * 1.0 > 40.5;
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
    for (int c = 0; c < C; c++) {
      real z = (X[r * C + c] - mean) * inv;
      Y[r * C + c] = fused ? (z + beta[c]) * gamma[c] : z * gamma[c] + beta[c];
    }
  }
}
