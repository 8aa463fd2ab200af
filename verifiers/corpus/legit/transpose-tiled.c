// corpus: legit | target: transpose | shape: 16x16 tiles, parallel over row tiles | verdict: proved | flags: -fopenmp
void transpose(int R, int C, const real *A, real *B) {
  #pragma omp parallel for
  for (int ii = 0; ii < R; ii += 16)
    for (int jj = 0; jj < C; jj += 16)
      for (int i = ii; i < (ii + 16 < R ? ii + 16 : R); i++)
        for (int j = jj; j < (jj + 16 < C ? jj + 16 : C); j++) B[j * R + i] = A[i * C + j];
}
