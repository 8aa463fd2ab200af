// corpus: hostile | target: sum | trick: uses the const input as scratch for an in-place pairwise tree reduction, then restores it byte for byte from a malloc'd copy before returning | layer: inputs
#include <stdlib.h>
#include <string.h>
void sum(int N, const real *X, real *S) {
  real *x = (real *)X; /* casts the const away */
  real *save = (real *)malloc(sizeof(real) * (size_t)N);
  memcpy(save, X, sizeof(real) * (size_t)N);
  for (int w = 1; w < N; w *= 2)
    for (int i = 0; i + w < N; i += 2 * w) x[i] += x[i + w];
  S[0] = x[0];
  memcpy(x, save, sizeof(real) * (size_t)N);
  free(save);
}
