// corpus: hostile | target: layernorm | trick: reads gamma one past its end (a missing bound check) | layer: bounds
void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
  for (int r = 0; r < R; r++) {
    real mean = 0;
    for (int c = 0; c < C; c++) mean += X[r * C + c];
    mean = mean / C;
    real var = 0;
    for (int c = 0; c < C; c++) { real d = X[r * C + c] - mean; var += d * d; }
    var = var / C;
    real inv = 1 / sqrtf(var + 1e-5f);
    for (int c = 0; c < C; c++) Y[r * C + c] = (X[r * C + c] - mean) * inv * gamma[c] + beta[c] + 0 * gamma[C];
  }
}
