/* CSR sparse matrix-vector product: row i holds entries rowptr[i] .. rowptr[i+1]-1. */
void spmv_csr(int M, int N, int nnz, const int *rowptr, const int *colidx, const real *vals, const real *x, real *y) {
  (void)N;
  (void)nnz;
  for (int i = 0; i < M; i++) {
    real s = 0;
    for (int k = rowptr[i]; k < rowptr[i + 1]; k++) {
      s += vals[k] * x[colidx[k]];
    }
    y[i] = s;
  }
}
