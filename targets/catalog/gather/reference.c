/* Scaled gather: each output element reads one element of x, chosen by idx. */
void gather(long n, long m, float alpha, const long *idx, const float *restrict x, float *restrict y) {
  (void)m;
  for (long i = 0; i < n; i++) {
    y[i] = alpha * x[idx[i]];
  }
}
