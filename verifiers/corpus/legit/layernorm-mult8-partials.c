// corpus: legit | target: layernorm | shape: eight partial sums for the mean and the variance when C % 8 == 0, the plain loops otherwise | verdict: proved
void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
  for (int r = 0; r < R; r++) {
    const real *x = X + r * C;
    real mean = 0, var = 0;
    if (C % 8 == 0) {
      real p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int c = 0; c < C; c += 8)
        for (int k = 0; k < 8; k++) p[k] += x[c + k];
      mean = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
      mean = mean / C;
      real q[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int c = 0; c < C; c += 8)
        for (int k = 0; k < 8; k++) {
          real d = x[c + k] - mean;
          q[k] += d * d;
        }
      var = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));
    } else {
      for (int c = 0; c < C; c++) mean += x[c];
      mean = mean / C;
      for (int c = 0; c < C; c++) {
        real d = x[c] - mean;
        var += d * d;
      }
    }
    var = var / C;
    real inv = 1 / sqrtf(var + 1e-5f);
    for (int c = 0; c < C; c++) Y[r * C + c] = (x[c] - mean) * inv * gamma[c] + beta[c];
  }
}
