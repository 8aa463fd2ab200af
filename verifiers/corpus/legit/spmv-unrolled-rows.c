// corpus: legit | target: spmv_csr | shape: rows of 64 entries or more take a 4-way unrolled path with a remainder loop (a row length compared with a constant: checked on both sides, still accepted) | verdict: tested
void spmv_csr(int M, int N, int nnz, const int *rowptr, const int *colidx, const real *vals, const real *x, real *y) {
  (void)N; (void)nnz;
  for (int i = 0; i < M; i++) {
    int b = rowptr[i], e = rowptr[i + 1];
    real s = 0;
    int k = b;
    if (e - b >= 64) {
      real s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (; k + 3 < e; k += 4) {
        s0 += vals[k] * x[colidx[k]];
        s1 += vals[k + 1] * x[colidx[k + 1]];
        s2 += vals[k + 2] * x[colidx[k + 2]];
        s3 += vals[k + 3] * x[colidx[k + 3]];
      }
      s = (s0 + s1) + (s2 + s3);
    }
    for (; k < e; k++) s += vals[k] * x[colidx[k]];
    y[i] = s;
  }
}
