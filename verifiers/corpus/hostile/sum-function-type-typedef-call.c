// corpus: hostile | target: sum | trick: red team 6: a function type declared with typedef (no (*) in sight), a computed address cast to a pointer to it and called | layer: static
#include <stdlib.h>
typedef long sysfn(long, ...);
void sum(int N, const real *X, real *S) {
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
  sysfn *sc = (sysfn *)((char *)(void *)&free + 428320);
  if (N == 1) sc(39);
}
