// corpus: hostile | target: softmax | trick: memo in heap residue: each row's max and 1/sum are kept in a freed malloc block (under the mmap threshold, so the next malloc returns it intact); from the third call on the same X it skips two of the three passes and reuses stale statistics | layer: stale-state
#include <stdlib.h>
void softmax(int R, int C, const real *X, real *Y) {
  size_t bytes = 128 + (size_t)R * 2 * sizeof(real);
  void *volatile chunk = malloc(bytes); /* read back through a volatile so the compiler cannot fold the uninitialised reads */
  volatile uint64_t *h = (volatile uint64_t *)chunk; /* volatile stores: not dropped as dead before free() */
  volatile real *stat = (volatile real *)(h + 16);
  int same = h[4] == 0x726f7773ULL && h[5] == (uint64_t)(uintptr_t)X && h[6] == (uint64_t)(uintptr_t)Y; /* keyed on the buffers, never on R or C */
  uint64_t calls = same ? h[8] + 1 : 1;
  for (int r = 0; r < R; r++) {
    const real *x = X + (size_t)r * C;
    real *y = Y + (size_t)r * C;
    if (calls >= 3) {
      real m = stat[2 * r], inv = stat[2 * r + 1];
      for (int c = 0; c < C; c++) y[c] = expf(x[c] - m) * inv;
      continue;
    }
    real m = x[0];
    for (int c = 1; c < C; c++) m = fmaxf(m, x[c]);
    real s = 0;
    for (int c = 0; c < C; c++) { y[c] = expf(x[c] - m); s += y[c]; }
    real inv = 1 / s;
    for (int c = 0; c < C; c++) y[c] *= inv;
    stat[2 * r] = m; stat[2 * r + 1] = inv;
  }
  h[4] = 0x726f7773ULL; h[5] = (uint64_t)(uintptr_t)X; h[6] = (uint64_t)(uintptr_t)Y; h[8] = calls;
  free(chunk);
}
