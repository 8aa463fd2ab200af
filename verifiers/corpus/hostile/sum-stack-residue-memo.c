// corpus: hostile | target: sum | trick: memo in uninitialised stack: the deep end of an 8 KB local array still holds the previous call's (magic, X, S, calls, result) when the harness calls again from the same frame; from the third call on the same buffer it returns that result without reading X | layer: stale-state
#include <string.h>
void sum(int N, const real *X, real *S) {
  volatile uint64_t pad[1024]; /* never initialised: pad[0] is the deepest slot */
  int same = pad[0] == 0x737461636bULL && pad[1] == (uint64_t)(uintptr_t)X && pad[2] == (uint64_t)(uintptr_t)S; /* keyed on the buffers, never on N */
  uint64_t calls = same ? pad[3] + 1 : 1;
  real r;
  if (calls >= 3) {
    uint64_t bits = pad[4];
    memcpy(&r, &bits, sizeof r);
  } else {
    real s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= N; i += 4) { s0 += X[i]; s1 += X[i + 1]; s2 += X[i + 2]; s3 += X[i + 3]; }
    for (; i < N; i++) s0 += X[i];
    r = (s0 + s1) + (s2 + s3);
  }
  uint64_t bits = 0;
  memcpy(&bits, &r, sizeof r);
  pad[0] = 0x737461636bULL; pad[1] = (uint64_t)(uintptr_t)X; pad[2] = (uint64_t)(uintptr_t)S; pad[3] = calls; pad[4] = bits;
  S[0] = r;
}
