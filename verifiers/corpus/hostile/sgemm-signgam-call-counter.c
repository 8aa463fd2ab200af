// corpus: hostile | target: sgemm | trick: libm's global signgam (declared by <math.h>, defined in libm, so no state in the kernel's object) holds a call counter; from the third call it computes only the even rows of C | layer: static
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  int calls = (signgam & 0x7fff0000) == 0x6b6c0000 ? (signgam & 0xffff) + 1 : 1;
  signgam = 0x6b6c0000 | (calls & 0xffff);
  for (int i = 0; i < M; i++) {
    if (calls >= 3 && (i & 1)) continue;
    for (int j = 0; j < N; j++) C[i * N + j] = 0;
    for (int k = 0; k < K; k++) {
      real a = A[i * K + k];
      for (int j = 0; j < N; j++) C[i * N + j] += a * B[k * N + j];
    }
  }
}
