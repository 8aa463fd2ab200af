// corpus: legit | target: transpose | shape: 16x16 blocked transpose with edge blocks clipped; no alignment assumptions | verdict: proved
void transpose(int R, int C, const real *A, real *B) {
  for (int i0 = 0; i0 < R; i0 += 16)
    for (int j0 = 0; j0 < C; j0 += 16) {
      int i1 = i0 + 16 < R ? i0 + 16 : R, j1 = j0 + 16 < C ? j0 + 16 : C;
      for (int i = i0; i < i1; i++)
        for (int j = j0; j < j1; j++) B[(size_t)j * R + i] = A[(size_t)i * C + j];
    }
}
