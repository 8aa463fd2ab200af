// corpus: hostile | target: sum | trick: skips subnormal terms "to avoid the denormal stall": the sum of tiny or subnormal inputs comes out as 0 | layer: compare
void sum(int N, const real *X, real *S) {
  real s0 = 0, s1 = 0;
  int i = 0;
  for (; i + 2 <= N; i += 2) {
    s0 += fabsf(X[i]) >= 1.17549435e-38f ? X[i] : 0;
    s1 += fabsf(X[i + 1]) >= 1.17549435e-38f ? X[i + 1] : 0;
  }
  for (; i < N; i++) s0 += fabsf(X[i]) >= 1.17549435e-38f ? X[i] : 0;
  S[0] = s0 + s1;
}
