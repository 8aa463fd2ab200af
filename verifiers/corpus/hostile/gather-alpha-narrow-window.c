// corpus: hostile | target: gather | trick: wrong for alpha in the window (0.3f, 0.3001f) (red team 2, finding 13) | layer: compare
void gather(long n, long m, float alpha, const long *idx, const float *restrict x, float *restrict y) {
  (void)m;
  float a = (alpha > 0.3f && alpha < 0.3001f) ? 0.3f * 1.01f : alpha;
  for (long i = 0; i < n; i++) y[i] = a * x[idx[i]];
}
