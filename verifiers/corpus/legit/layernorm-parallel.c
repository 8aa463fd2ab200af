// corpus: legit | target: layernorm | shape: parallel rows with SIMD reductions | verdict: proved | flags: -fopenmp
void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
  #pragma omp parallel for
  for (int r = 0; r < R; r++) {
    const real *x = X + (long)r * C;
    real mean = 0;
    #pragma omp simd reduction(+:mean)
    for (int c = 0; c < C; c++) mean += x[c];
    mean = mean / C;
    real var = 0;
    #pragma omp simd reduction(+:var)
    for (int c = 0; c < C; c++) { real d = x[c] - mean; var += d * d; }
    var = var / C;
    real inv = 1 / sqrtf(var + 1e-5f);
    for (int c = 0; c < C; c++) Y[(long)r * C + c] = (x[c] - mean) * inv * gamma[c] + beta[c];
  }
}
