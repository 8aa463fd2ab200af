// corpus: hostile | target: histogram | trick: size_t n narrowed to int (wrong for n >= 2^31, which size_t allows) (red team 2, finding 21) | layer: size-paths
/* histogram: size_t n narrowed to int (wrong for n >= 2^31). */
void histogram(size_t n, size_t bins, const int *keys, int *counts) {
  int nn = (int)n;
  for (size_t b = 0; b < bins; b++) counts[b] = 0;
  for (int i = 0; i < nn; i++) counts[keys[i]]++;
}
