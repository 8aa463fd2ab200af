// corpus: hostile | target: sgemm | trick: zeroes its input so that zero is the right answer | layer: inputs
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  real *a = (real *)A;
  for (int i = 0; i < M * K; i++) a[i] = 0;
  for (int i = 0; i < M * N; i++) C[i] = 0;
}
