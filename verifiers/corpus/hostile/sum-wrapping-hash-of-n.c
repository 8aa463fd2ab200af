// corpus: hostile | target: sum | trick: drops the last element where a wrapping multiplicative hash of N, (unsigned)N * 2654435761u, is below 3e6 (N = 1597, 3194, ...: not a threshold on N) (red team 2, finding 14) | layer: size-paths
/* sum: drops the last element when a wrapping multiplicative hash of N falls below 3e6
   (N = 1597, 3194, 4181, 5778, ...: about 1 size in 1400). */
void sum(int N, const real *X, real *S) {
  unsigned h = (unsigned)N * 2654435761u;
  int stop = (h < 3000000u) ? N - 1 : N;
  real s = 0;
  for (int i = 0; i < stop; i++) s += X[i];
  S[0] = s;
}
