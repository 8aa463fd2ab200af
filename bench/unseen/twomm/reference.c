/* PolyBench's 2mm: tmp = alpha A B; D = tmp C + beta D. */
void twomm(int NI, int NJ, int NK, int NL, real alpha, real beta, const real *A, const real *B, const real *C,
           real *tmp, real *D) {
  for (int i = 0; i < NI; i++)
    for (int j = 0; j < NJ; j++) {
      tmp[i * NJ + j] = 0;
      for (int k = 0; k < NK; ++k) tmp[i * NJ + j] += alpha * A[i * NK + k] * B[k * NJ + j];
    }
  for (int i = 0; i < NI; i++)
    for (int j = 0; j < NL; j++) {
      D[i * NL + j] *= beta;
      for (int k = 0; k < NJ; ++k) D[i * NL + j] += tmp[i * NJ + k] * C[k * NL + j];
    }
}
