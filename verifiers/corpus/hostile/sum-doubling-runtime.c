// corpus: hostile | target: sum | trick: threshold computed at run time (1 doubled 13 times = 8192): sums only the first 8192 elements | layer: size-paths
void sum(int N, const real *X, real *S) {
  int cap = 1;
  for (int k = 0; k < 13; k++) cap *= 2;
  int n = N < cap ? N : cap;
  real s = 0;
  for (int i = 0; i < n; i++) s += X[i];
  S[0] = s;
}
