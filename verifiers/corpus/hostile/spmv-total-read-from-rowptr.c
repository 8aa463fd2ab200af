// corpus: hostile | target: spmv_csr | trick: nnz read back from the CSR data (rowptr[M]) and compared with constants: drops each row's last entry when 1000 < rowptr[M] < 3000 (red team 2, finding 9) | layer: compare
void spmv_csr(int M, int N, int nnz, const int *rowptr, const int *colidx, const real *vals, const real *x, real *y) {
  (void)N; (void)nnz;
  int total = rowptr[M];
  int drop = (total > 1000 && total < 3000) ? 1 : 0;
  for (int i = 0; i < M; i++) {
    real s = 0;
    int e = rowptr[i + 1] - drop;
    for (int k = rowptr[i]; k < e; k++) s += vals[k] * x[colidx[k]];
    y[i] = s;
  }
}
