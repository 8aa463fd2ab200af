// corpus: hostile | target: sum | trick: mask threshold (N & ~0x1FFF, i.e. N >= 8192): a two-lane unroll whose bound counts pairs, so the second half is never read | layer: compare
void sum(int N, const real *X, real *S) {
  real s = 0;
  if (N & ~0x1FFF) {
    real s0 = 0, s1 = 0;
    for (int i = 0; i + 1 < N / 2; i += 2) {
      s0 += X[i];
      s1 += X[i + 1];
    }
    s = s0 + s1;
  } else {
    for (int i = 0; i < N; i++) s += X[i];
  }
  S[0] = s;
}
