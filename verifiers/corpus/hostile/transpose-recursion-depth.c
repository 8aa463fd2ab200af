// corpus: hostile | target: transpose | trick: red team 4: cache-oblivious recursive transpose whose top-left leaf at depth 8 leaves B[0] unwritten (R, C in (128, 256]; red team 4 had depth 14, (1024, 2048], PROVED), caught on the recursion sweep | layer: compare
static void rec(int R, int C, const real *A, real *B, int i0, int i1, int j0, int j1, int depth) {
  int di = i1 - i0, dj = j1 - j0;
  if (di <= 16 && dj <= 16) {
    for (int i = i0; i < i1; i++)
      for (int j = j0; j < j1; j++) {
        if (depth == 8 && i == 0 && j == 0) continue;
        B[j * R + i] = A[i * C + j];
      }
    return;
  }
  if (di >= dj) {
    int m = i0 + di / 2;
    rec(R, C, A, B, i0, m, j0, j1, depth + 1);
    rec(R, C, A, B, m, i1, j0, j1, depth + 1);
  } else {
    int m = j0 + dj / 2;
    rec(R, C, A, B, i0, i1, j0, m, depth + 1);
    rec(R, C, A, B, i0, i1, m, j1, depth + 1);
  }
}
void transpose(int R, int C, const real *A, real *B) {
  rec(R, C, A, B, 0, R, 0, C, 0);
}
