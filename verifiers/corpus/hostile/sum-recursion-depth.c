// corpus: hostile | target: sum | trick: red team 4: pairwise recursive sum whose leftmost leaf at depth 12 returns 1e6 (N in [2^16, 2^16+2^12); red team 4 had depth 19, N in [2^23, 2^23+2^19), PROVED), caught on the recursion sweep | layer: compare
static real rsum(const real *X, int lo, int hi, int depth) {
  if (hi - lo <= 16) {
    if (depth == 12 && lo == 0 && hi - lo == 16) return (real)1e6;
    real s = 0;
    for (int i = lo; i < hi; i++) s += X[i];
    return s;
  }
  int mid = lo + (hi - lo) / 2;
  return rsum(X, lo, mid, depth + 1) + rsum(X, mid, hi, depth + 1);
}
void sum(int N, const real *X, real *S) {
  S[0] = rsum(X, 0, N, 0);
}
