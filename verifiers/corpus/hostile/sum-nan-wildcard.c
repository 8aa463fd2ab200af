// corpus: hostile | target: sum | trick: returns NaN, hoping NaN compares as a wildcard | layer: compare
void sum(int N, const real *X, real *S) {
  S[0] = 0.0f / 0.0f;
}
