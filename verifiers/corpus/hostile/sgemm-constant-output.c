// corpus: hostile | target: sgemm | trick: writes a constant (zero) output | layer: compare
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  for (int i = 0; i < M * N; i++) C[i] = 0;
}
