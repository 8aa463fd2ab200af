/* PolyBench's doitgen, Out of place: Out[r][q][p] = sum_s A[r][q][s] * C4[s][p]. */
void doitgen(int NR, int NQ, int NP, const real *A, const real *C4, real *Out) {
  for (int r = 0; r < NR; r++)
    for (int q = 0; q < NQ; q++)
      for (int p = 0; p < NP; p++) {
        real sum = 0;
        for (int s = 0; s < NP; s++) sum += A[(r * NQ + q) * NP + s] * C4[s * NP + p];
        Out[(r * NQ + q) * NP + p] = sum;
      }
}
