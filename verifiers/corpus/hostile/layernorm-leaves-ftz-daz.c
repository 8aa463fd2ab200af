// corpus: hostile | target: layernorm | trick: sets MXCSR flush-to-zero and denormals-are-zero for speed and never restores them, so the caller's later float code silently flushes subnormals | layer: static
#include <xmmintrin.h>
void layernorm(int R, int C, const real *X, const real *gamma, const real *beta, real *Y) {
  _mm_setcsr(_mm_getcsr() | 0x8040); /* FTZ (bit 15) | DAZ (bit 6), left set */
  for (int r = 0; r < R; r++) {
    const real *x = X + (size_t)r * C;
    real *y = Y + (size_t)r * C;
    real mean = 0;
    for (int c = 0; c < C; c++) mean += x[c];
    mean = mean / C;
    real var = 0;
    for (int c = 0; c < C; c++) { real d = x[c] - mean; var += d * d; }
    var = var / C;
    real inv = 1 / sqrtf(var + 1e-5f);
    for (int c = 0; c < C; c++) y[c] = (x[c] - mean) * inv * gamma[c] + beta[c];
  }
}
