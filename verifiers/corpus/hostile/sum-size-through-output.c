// corpus: hostile | target: sum | trick: red team 4: N parked in the output and read back before the sum (wrong for N in [2^23, 2^23+2^19)); was PROVED | layer: size-paths
void sum(int N, const real *X, real *S) {
  S[0] = (real)N;
  int n = (int)S[0];
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i];
  S[0] = s;
  if (n >= (1 << 23) && n < (1 << 23) + (1 << 19)) S[0] = (real)1e6;
}
