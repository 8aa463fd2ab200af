// corpus: hostile | target: sgemm | trick: tells the verifier from a user by the output's contents on entry: the gate always poisons outputs (NaN or random bits), users pass zeroed buffers; when C[0] is +0.0 it takes a 4-wide k loop that drops the K remainder | layer: compare
#include <string.h>
void sgemm(int M, int N, int K, const real *A, const real *B, real *C) {
  uint32_t w;
  memcpy(&w, C, sizeof w);
  int user = w == 0; /* never drawn by a poisoner: probability 2^-32 */
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      real acc = 0;
      if (user) {
        for (int k = 0; k + 3 < K; k += 4)
          acc += A[i * K + k] * B[k * N + j] + A[i * K + k + 1] * B[(k + 1) * N + j] +
                 A[i * K + k + 2] * B[(k + 2) * N + j] + A[i * K + k + 3] * B[(k + 3) * N + j];
      } else {
        for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      }
      C[i * N + j] = acc;
    }
}
