// corpus: hostile | target: transpose | trick: writes each element of the const input back through a cast after reading it (the same value, so the byte-for-byte check sees nothing); faults on a read-only input and races with concurrent readers | layer: inputs
void transpose(int R, int C, const real *A, real *B) {
  real *a = (real *)A;
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++) {
      real v = a[(size_t)i * C + j];
      *(volatile real *)&a[(size_t)i * C + j] = v; /* volatile: the store is not optimised away */
      B[(size_t)j * R + i] = v;
    }
}
