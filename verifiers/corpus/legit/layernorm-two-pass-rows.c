// corpus: legit | target: layernorm | shape: two-pass mean and variance per row with four partial sums each, then scale and shift | verdict: proved
void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
  for (int r = 0; r < R; r++) {
    const real *x = X + (size_t)r * C;
    real *y = Y + (size_t)r * C;
    real m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    int c = 0;
    for (; c + 4 <= C; c += 4) { m0 += x[c]; m1 += x[c + 1]; m2 += x[c + 2]; m3 += x[c + 3]; }
    for (; c < C; c++) m0 += x[c];
    real mean = ((m0 + m1) + (m2 + m3)) / C;
    real v0 = 0, v1 = 0;
    c = 0;
    for (; c + 2 <= C; c += 2) { real d0 = x[c] - mean, d1 = x[c + 1] - mean; v0 += d0 * d0; v1 += d1 * d1; }
    for (; c < C; c++) { real d = x[c] - mean; v0 += d * d; }
    real inv = 1 / sqrtf((v0 + v1) / C + 1e-5f);
    for (c = 0; c < C; c++) y[c] = (x[c] - mean) * inv * gamma[c] + beta[c];
  }
}
