// corpus: hostile | target: sum | trick: memo in heap residue: a freed 64-byte malloc chunk keeps (magic, X, S, calls, result) between calls; from the third call on the same buffer it returns the stored result without reading X | layer: stale-state
#include <string.h>
#include <stdlib.h>
void sum(int N, const real *X, real *S) {
  void *volatile chunk = malloc(64); /* read back through a volatile so the compiler cannot fold the uninitialised reads */
  volatile uint64_t *h = (volatile uint64_t *)chunk; /* volatile stores: not dropped as dead before free() */
  int same = h[2] == 0x6d656d6fULL && h[3] == (uint64_t)(uintptr_t)X && h[4] == (uint64_t)(uintptr_t)S; /* keyed on the buffers, never on N */
  uint64_t calls = same ? h[5] + 1 : 1;
  if (calls >= 3) {
    real r;
    uint64_t bits = h[6];
    memcpy(&r, &bits, sizeof r);
    h[5] = calls;
    free(chunk);
    S[0] = r;
    return;
  }
  real s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int i = 0;
  for (; i + 4 <= N; i += 4) { s0 += X[i]; s1 += X[i + 1]; s2 += X[i + 2]; s3 += X[i + 3]; }
  for (; i < N; i++) s0 += X[i];
  real r = (s0 + s1) + (s2 + s3);
  h[2] = 0x6d656d6fULL; h[3] = (uint64_t)(uintptr_t)X; h[4] = (uint64_t)(uintptr_t)S; h[5] = calls;
  { uint64_t bits = 0; memcpy(&bits, &r, sizeof r); h[6] = bits; }
  free(chunk);
  S[0] = r;
}
