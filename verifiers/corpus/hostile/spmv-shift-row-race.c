// corpus: hostile | target: spmv_csr | trick: each of 2M iterations adds half a row into y[i>>1]: iterations 2r and 2r+1 race on y[r] | layer: race | flags: -fopenmp
void spmv_csr(int M, int N, int nnz, const int *rowptr, const int *colidx, const real *vals, const real *x, real *y) {
  (void)N; (void)nnz;
  for (int i = 0; i < M; i++) y[i] = 0;
  #pragma omp parallel for
  for (int h = 0; h < 2 * M; h++) {
    int r = h >> 1;
    int b = rowptr[r], e = rowptr[r + 1], mid = b + (e - b) / 2;
    int lo = (h & 1) ? mid : b, hi = (h & 1) ? e : mid;
    real s = 0;
    for (int k = lo; k < hi; k++) s += vals[k] * x[colidx[k]];
    y[r] += s;
  }
}
