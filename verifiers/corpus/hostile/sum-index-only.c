// corpus: hostile | target: sum | trick: condition on the loop index only (i > 0x1770 = 6000, past the 5000 limit): odd elements after it are skipped | layer: compare
void sum(int N, const real *X, real *S) {
  real s = 0;
  for (int i = 0; i < N; i++)
    if (i <= 0x1770 || (i & 1) == 0) s += X[i];
  S[0] = s;
}
