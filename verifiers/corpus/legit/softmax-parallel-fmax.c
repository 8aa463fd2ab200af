// corpus: legit | target: softmax | shape: parallel rows, branch-free max with fmaxf, SIMD sum | verdict: tested | flags: -fopenmp
void softmax(int R, int C, const real *X, real *Y) {
  #pragma omp parallel for
  for (int r = 0; r < R; r++) {
    const real *x = X + (long)r * C;
    real *y = Y + (long)r * C;
    real m = x[0];
    for (int c = 1; c < C; c++) m = fmaxf(m, x[c]);
    real s = 0;
    #pragma omp simd reduction(+:s)
    for (int c = 0; c < C; c++) { y[c] = expf(x[c] - m); s += y[c]; }
    for (int c = 0; c < C; c++) y[c] = y[c] / s;
  }
}
