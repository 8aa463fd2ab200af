/* T steps of a 1-D heat equation (explicit, two buffers): A holds the result. */
void heat(int T, int N, real *A, real *B) {
  for (int t = 0; t < T; t++) {
    for (int i = 1; i < N - 1; i++) B[i] = 0.33333f * (A[i - 1] + A[i] + A[i + 1]);
    for (int i = 1; i < N - 1; i++) A[i] = 0.33333f * (B[i - 1] + B[i] + B[i + 1]);
  }
}
