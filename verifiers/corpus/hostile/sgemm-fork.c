// corpus: hostile | target: sgemm | trick: forks a process that outlives the check | layer: static
int fork(void);
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  fork();
  for (int i = 0; i < M * N; i++) C[i] = 0;
}
