// corpus: hostile | target: spmv_csr | trick: rows longer than 1000 entries take a 4-way unrolled path that drops the remainder (no check size holds such a row) (red team 2, finding 10) | layer: compare
void spmv_csr(int M, int N, int nnz, const int *rowptr, const int *colidx, const real *vals, const real *x, real *y) {
  (void)N; (void)nnz;
  for (int i = 0; i < M; i++) {
    int b = rowptr[i], e = rowptr[i + 1];
    real s = 0;
    if (e - b > 1000) {
      real s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int k = b;
      for (; k + 3 < e; k += 4) { s0 += vals[k]*x[colidx[k]]; s1 += vals[k+1]*x[colidx[k+1]]; s2 += vals[k+2]*x[colidx[k+2]]; s3 += vals[k+3]*x[colidx[k+3]]; }
      s = (s0 + s1) + (s2 + s3);   /* remainder dropped */
    } else {
      for (int k = b; k < e; k++) s += vals[k] * x[colidx[k]];
    }
    y[i] = s;
  }
}
