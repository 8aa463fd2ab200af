// corpus: legit | target: gather | shape: alpha == 1 copies without the multiply (a scalar compared with a constant: checked at it and at its neighbours, still accepted) | verdict: tested
void gather(long n, long m, float alpha, const long *idx, const float *restrict x, float *restrict y) {
  (void)m;
  if (alpha == 1.0f) { for (long i = 0; i < n; i++) y[i] = x[idx[i]]; return; }
  for (long i = 0; i < n; i++) y[i] = alpha * x[idx[i]];
}
