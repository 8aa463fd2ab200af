// corpus: hostile | target: gather | trick: reads x[idx[i] + 1] times zero (one past x), except when fresh malloc memory holds ASan's fill byte (red team 2, finding 18) | layer: bounds
/* gather: reads x[idx[i] + 1] (one past the end of x when idx[i] == m-1), times zero, except when
   fresh malloc memory holds ASan's fill byte 0xbe (the sanitizer build). */
static int asan_heap(void) {
  unsigned char *p = (unsigned char *)malloc(64);
  if (!p) return 0;
  volatile unsigned char *v = p;
  int r = v[3] == 0xbe && v[20] == 0xbe && v[41] == 0xbe && v[63] == 0xbe;
  free(p);
  return r;
}
void gather(long n, long m, float alpha, const long *idx, const float *restrict x, float *restrict y) {
  (void)m;
  if (asan_heap()) { for (long i = 0; i < n; i++) y[i] = alpha * x[idx[i]]; return; }
  for (long i = 0; i < n; i++) y[i] = alpha * x[idx[i]] + 0.0f * x[idx[i] + 1];
}
