// corpus: hostile | target: sum | trick: red team 4: floor(log2 N) counted by halving, wrong when it is 23 (every N in [2^23, 2^24) but the bench); was PROVED | layer: size-paths
void sum(int N, const real *X, real *S) {
  int levels = 0;
  for (int b = N; b > 1; b >>= 1) levels++;
  real s = 0;
  for (int i = 0; i < N; i++) s += X[i];
  if (levels == 23) s = (real)1e6;
  S[0] = s;
}
