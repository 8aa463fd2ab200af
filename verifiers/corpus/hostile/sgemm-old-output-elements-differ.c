// corpus: hostile | target: sgemm | trick: reads C before writing it and adds 1 to C[0] when two of its old elements differ (a user's buffer; the poison was one word over the array, and the proof poisoned every element with one variable) | layer: compare
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  int differ = M * N > 1 && C[0] - C[M * N - 1] != 0 && C[0] == C[0];
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real s = 0;
      for (int k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
      C[i * N + j] = s;
    }
  if (differ) C[0] += 1;
}
