/* B = transpose(A), walking A row by row (B is written with stride R). */
void transpose(int R, int C, const real *A, real *B) {
  for (int i = 0; i < R; i++) {
    for (int j = 0; j < C; j++) {
      B[j * R + i] = A[i * C + j];
    }
  }
}
