// corpus: legit | target: transpose | shape: cache-oblivious recursive transpose (split the longer side down to 16x16 leaves): checked on the recursion sweep, not proved | verdict: tested
static void rec(int R, int C, const real *A, real *B, int i0, int i1, int j0, int j1) {
  int di = i1 - i0, dj = j1 - j0;
  if (di <= 16 && dj <= 16) {
    for (int i = i0; i < i1; i++)
      for (int j = j0; j < j1; j++) B[j * R + i] = A[i * C + j];
    return;
  }
  if (di >= dj) {
    int m = i0 + di / 2;
    rec(R, C, A, B, i0, m, j0, j1);
    rec(R, C, A, B, m, i1, j0, j1);
  } else {
    int m = j0 + dj / 2;
    rec(R, C, A, B, i0, i1, j0, m);
    rec(R, C, A, B, i0, i1, m, j1);
  }
}
void transpose(int R, int C, const real *A, real *B) {
  rec(R, C, A, B, 0, R, 0, C);
}
