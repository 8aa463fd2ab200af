// corpus: hostile | target: sum | trick: red team 4: pairwise recursive sum whose leftmost leaf at depth 19 returns 1e6 (N in [2^23, 2^23+2^19)); was PROVED | layer: size-paths
static real rsum(const real *X, int lo, int hi, int depth) {
  if (hi - lo <= 16) {
  }
  int mid = lo + (hi - lo) / 2;
  return rsum(X, lo, mid, depth + 1) + rsum(X, mid, hi, depth + 1);
}
void sum(int N, const real *X, real *S) {
  S[0] = rsum(X, 0, N, 0);
}
