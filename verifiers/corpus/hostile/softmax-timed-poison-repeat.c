// corpus: hostile | target: softmax | trick: tells a timed run by the output poison word repeating from call to call (remembered in a freed malloc chunk) and then normalises only every other row (in use: stale rows whenever row 0 repeats while other rows change) | layer: stale-state
#include <stdlib.h>
#include <string.h>
void softmax(int R, int C, const real *X, real *Y) {
  uint32_t word;
  memcpy(&word, Y, sizeof word);
  /* a small chunk: free() puts it in the tcache and the next malloc of the same size hands it back with bytes 16.. intact */
  void *volatile chunk = malloc(96); /* read back through a volatile so the compiler cannot fold the uninitialised reads */
  volatile uint32_t *h = (volatile uint32_t *)chunk; /* volatile stores: not dropped as dead before free() */
  int timed = h[8] == 0x6b6c6f6fu && h[9] == word && h[10] >= 2;
  uint32_t seen = h[8] == 0x6b6c6f6fu && h[9] == word ? h[10] + 1 : 1;
  h[8] = 0x6b6c6f6fu; h[9] = word; h[10] = seen;
  free(chunk);
  for (int r = 0; r < R; r++) {
    const real *x = X + (size_t)r * C;
    real *y = Y + (size_t)r * C;
    if (timed && (r & 1)) continue; /* half the work once the same poison has been seen three times */
    real m = x[0];
    for (int c = 1; c < C; c++) m = fmaxf(m, x[c]);
    real s = 0;
    for (int c = 0; c < C; c++) { y[c] = expf(x[c] - m); s += y[c]; }
    real inv = 1 / s;
    for (int c = 0; c < C; c++) y[c] *= inv;
  }
}
