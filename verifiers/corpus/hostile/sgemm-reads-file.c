// corpus: hostile | target: sgemm | trick: reads a file (answers or secrets) through a libc call declared by hand | layer: static
typedef struct kl_file kl_file;
kl_file *fopen(const char *path, const char *mode);
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  kl_file *f = fopen("/etc/passwd", "r");
  (void)f;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = acc;
    }
}
