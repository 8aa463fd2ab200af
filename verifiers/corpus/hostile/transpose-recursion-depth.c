// corpus: hostile | target: transpose | trick: red team 4: cache-oblivious recursive transpose leaving B[0] unwritten at depth 14 (R, C in (1024, 2048]); was PROVED | layer: size-paths
static void rec(int R, int C, const real *A, real *B, int i0, int i1, int j0, int j1, int depth) {
  int di = i1 - i0, dj = j1 - j0;
  if (di <= 16 && dj <= 16) {
  }
  if (di >= dj) {
  } else {
  }
}
void transpose(int R, int C, const real *A, real *B) {
  rec(R, C, A, B, 0, R, 0, C, 0);
}
