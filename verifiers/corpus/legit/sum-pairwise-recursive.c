// corpus: legit | target: sum | shape: pairwise summation by recursion (halves down to 32 elements): checked on the recursion sweep, not proved | verdict: tested
static real pairwise(const real *X, int n) {
  if (n <= 32) {
    real s = 0;
    for (int i = 0; i < n; i++) s += X[i];
    return s;
  }
  int h = n / 2;
  return pairwise(X, h) + pairwise(X + h, n - h);
}
void sum(int N, const real *X, real *S) {
  S[0] = pairwise(X, N);
}
