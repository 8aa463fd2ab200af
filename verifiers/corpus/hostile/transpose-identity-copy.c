// corpus: hostile | target: transpose | trick: copies instead of transposing (right only for 1-wide or symmetric inputs) | layer: compare
void transpose(int R, int C, const real *A, real *B) {
  for (int i = 0; i < R * C; i++) B[i] = A[i];
}
