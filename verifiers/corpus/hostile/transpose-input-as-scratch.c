// corpus: hostile | target: transpose | trick: writes the const input: swaps A's elements through a cast to stage each row, then swaps them back, so A is byte-identical after the call | layer: inputs
void transpose(int R, int C, const real *A, real *B) {
  real *a = (real *)A;
  for (int i = 0; i < R; i++) {
    real *row = a + (size_t)i * C;
    for (int j = 0; j < C / 2; j++) { real t = row[j]; row[j] = row[C - 1 - j]; row[C - 1 - j] = t; } /* reverse in place */
    for (int j = 0; j < C; j++) B[(size_t)(C - 1 - j) * R + i] = row[j];
    for (int j = 0; j < C / 2; j++) { real t = row[j]; row[j] = row[C - 1 - j]; row[C - 1 - j] = t; } /* and back */
  }
}
