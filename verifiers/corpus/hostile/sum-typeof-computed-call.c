// corpus: hostile | target: sum | trick: red team 6: a pointer of the type of &free (typeof), computed from free's address, called: a call no symbol shows | layer: static
#include <stdlib.h>
void sum(int N, const real *X, real *S) {
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
  __typeof__(&free) f = (__typeof__(&free))((char *)(void *)&free + 64);
  if (N == 1) f((void *)0);
}
