// corpus: legit | target: transpose | shape: 8x8 tiles with partial edge tiles when both sides are at least 32, row by row below | verdict: proved
void transpose(int R, int C, const real *A, real *B) {
  if (R >= 32 && C >= 32) {
    for (int ii = 0; ii < R; ii += 8) {
      int ie = ii + 8 < R ? ii + 8 : R;
      for (int jj = 0; jj < C; jj += 8) {
        int je = jj + 8 < C ? jj + 8 : C;
        for (int j = jj; j < je; j++)
          for (int i = ii; i < ie; i++) B[j * R + i] = A[i * C + j];
      }
    }
    return;
  }
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++) B[j * R + i] = A[i * C + j];
}
