// corpus: legit | target: softmax | shape: OpenMP over rows when R >= 8, sequential for fewer rows | verdict: tested | flags: -fopenmp
static void row(int C, const real *x, real *y) {
  real m = x[0];
  for (int c = 1; c < C; c++) m = x[c] > m ? x[c] : m;
  real s = 0;
  for (int c = 0; c < C; c++) {
    y[c] = expf(x[c] - m);
    s += y[c];
  }
  for (int c = 0; c < C; c++) y[c] = y[c] / s;
}
void softmax(int R, int C, const real *X, real *Y) {
  if (R >= 8) {
    #pragma omp parallel for
    for (int r = 0; r < R; r++) row(C, X + (size_t)r * C, Y + (size_t)r * C);
    return;
  }
  for (int r = 0; r < R; r++) row(C, X + (size_t)r * C, Y + (size_t)r * C);
}
