// corpus: hostile | target: layernorm | trick: one-pass variance E[x^2] - mean^2 in float: fine on inputs centred near zero, catastrophic cancellation on offset data (mean >> spread) | layer: compare
void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
  for (int r = 0; r < R; r++) {
    const real *x = X + (size_t)r * C;
    real *y = Y + (size_t)r * C;
    real s = 0, q = 0;
    for (int c = 0; c < C; c++) { s += x[c]; q += x[c] * x[c]; }
    real mean = s / C;
    real var = q / C - mean * mean;
    if (var < 0) var = 0;
    real inv = 1 / sqrtf(var + 1e-5f);
    for (int c = 0; c < C; c++) y[c] = (x[c] - mean) * inv * gamma[c] + beta[c];
  }
}
