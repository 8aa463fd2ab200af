// corpus: legit | target: softmax | shape: row max with fmaxf from the first element, exp once per element, reciprocal multiply; right on offset, all-positive and all-negative rows | verdict: tested
void softmax(int R, int C, const real *X, real *Y) {
  for (int r = 0; r < R; r++) {
    const real *x = X + (size_t)r * C;
    real *y = Y + (size_t)r * C;
    real m = x[0];
    for (int c = 1; c < C; c++) m = fmaxf(m, x[c]);
    real s = 0;
    for (int c = 0; c < C; c++) { real e = expf(-fabsf(x[c] - m)); y[c] = e; s += e; }
    real inv = 1 / s;
    for (int c = 0; c < C; c++) y[c] *= inv;
  }
}
