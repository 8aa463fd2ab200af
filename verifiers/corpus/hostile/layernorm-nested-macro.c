// corpus: hostile | target: layernorm | trick: nested macros (ROW_CAP = BASE * 3 = 48): rows from ROW_CAP on skip the shift beta | layer: compare
#define BASE 16
#define ROW_CAP (BASE * 3)
#define HAS_SHIFT(r) ((r) < ROW_CAP)
void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
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
      real y = (X[r * C + c] - mean) * inv * gamma[c];
      Y[r * C + c] = HAS_SHIFT(r) ? y + beta[c] : y;
    }
  }
}
