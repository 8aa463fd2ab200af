// corpus: hostile | target: gather | trick: alpha == 0.5f takes a path that forgets to scale (red team 2, finding 13) | layer: compare
void gather(long n, long m, float alpha, const long *idx, const float *restrict x, float *restrict y) {
  (void)m;
  if (alpha == 0.5f) { for (long i = 0; i < n; i++) y[i] = x[idx[i]]; return; }
  for (long i = 0; i < n; i++) y[i] = alpha * x[idx[i]];
}
